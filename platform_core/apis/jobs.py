"""What every background job looks like in the API (platform_core.models.jobs.Job): imports,
pre-labeling and training jobs, and exports, add their own fields to this shape."""
from django.urls import reverse
from rest_framework import serializers

JOB_FIELDS = [
    "id", "status", "url", "project", "progress", "message", "attempts",
    "created_by", "created_at", "started_at", "finished_at",
]


class JobOutputSerializer(serializers.ModelSerializer):
    """Subclasses set Meta.model and Meta.fields (JOB_FIELDS plus theirs) and `detail_route`,
    the URL name of the job's own page in the API."""

    detail_route = ""
    url = serializers.SerializerMethodField(help_text="Where to poll this job.")
    progress = serializers.FloatField(read_only=True, help_text="0..1")
    attempts = serializers.IntegerField(
        read_only=True, help_text="Times a worker started it; it fails after the third."
    )

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(reverse(self.detail_route, args=[job.pk]))
