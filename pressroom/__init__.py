"""pressroom: ministries' press releases into DuckDB, published only when their text passes the checks.

One installed package, the folders the project is known by. The source tree keeps its top-level folders
(`flows/`, `connectors/`, `warehouse/`, `expectations/`, `infra/`); this directory holds a relative
symlink to each, so the same files import as `pressroom.flows`, `pressroom.connectors`, ... in a checkout,
and a wheel (setuptools follows the links) installs them as real folders under one top-level `pressroom`.
Nothing imports the bare names: `import flows` is not a thing an installed pressroom provides.
"""
