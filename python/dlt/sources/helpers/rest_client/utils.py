def join_url(base_url, path):
    """RESTClient's URL joining: an http(s) path is used as is, otherwise
    base_url.rstrip("/") + "/" + path.lstrip("/"); an empty path gives the base URL."""
    if path.startswith(("http://", "https://")) or not base_url:
        return path
    if not path:
        return base_url
    return base_url.rstrip("/") + "/" + path.lstrip("/")
