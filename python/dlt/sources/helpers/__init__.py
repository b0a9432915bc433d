"""dlt's source helpers: `requests` (a retrying HTTP client) and `rest_client` (RESTClient,
paginators, auth), both running on libdltc's HTTP client (include/dltc/http.h, rest.h)."""
