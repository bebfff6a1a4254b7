"""The notebook layer: IPython extension, magics, login widget, Jupyter server callback."""
