"""Infrastructure that is not part of the pipeline itself: the bundled demo mirror and deployment notes."""
