"""Session core: values with redacting reprs, the refresh engine, storage, JWT decoding.

Nothing here imports another nbauth package, an HTTP library or a widget library.
"""
