"""Network rules every call nbauth makes follows: a total deadline and a size cap
(:mod:`~nbauth.net.bounded_http`) and https-only endpoints (:mod:`~nbauth.net.secure_urls`)."""
