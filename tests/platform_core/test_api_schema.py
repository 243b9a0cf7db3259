from django.core.management import call_command


def test_openapi_schema_builds_and_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any view the generator cannot describe into an error.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    schema = (tmp_path / "schema.yml").read_text()
    paths = ("/api/v1/projects/{project_id}/tasks/", "/api/v1/imports/{import_id}/", "/healthz")
    for path in paths:
        assert f"  {path}:" in schema
