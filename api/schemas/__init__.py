"""Request and response bodies (pydantic) of the API, one module per route module:
`api/schemas/<name>.py` holds the bodies of `api/routes/<name>.py` and nothing else; a body two
route modules share lives with the one that owns the resource and the other imports it. Routes
define no models inline, and name them by use (`CaseRead`, `CaseStatusChange`)."""
