"""The schema of the metrics answer (platform_core.apis.metrics): every field, as the API docs
show it."""
from rest_framework import serializers

from platform_core.metrics import BUCKETS, MINIMUM_SAMPLE
from platform_core.models import TaskStatus

# -- the schema: every field of the answer, as the API docs show it ----------------------------
# Schema only: the view returns the sections as computed (rendering thousands of series
# numbers through serializer fields costs more than computing them). A test checks that the
# answer and these declarations name the same keys.


def _int(text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=text, **kwargs)


def _float(text: str, **kwargs) -> serializers.FloatField:
    return serializers.FloatField(help_text=text, **kwargs)


def _series(child: serializers.Field, text: str) -> serializers.ListField:
    return serializers.ListField(child=child, help_text=f"{text} One value per period bucket.")


class MetricsSampleSerializer(serializers.Serializer):
    n = _int("How many items the figure is measured on.")
    insufficient = serializers.BooleanField(
        help_text=f"True while n < {MINIMUM_SAMPLE}: the value is indicative only."
    )
    reason = serializers.CharField(
        allow_null=True, help_text="Why the value is missing or insufficient; null when neither."
    )


class MetricsSampledValueSerializer(MetricsSampleSerializer):
    value = _float("The figure; null when it cannot be computed.", allow_null=True)


class MetricsPeriodSerializer(serializers.Serializer):
    window = serializers.CharField(help_text="As asked: `<n>h`, `<n>d` or `all`.")
    bucket = serializers.ChoiceField(choices=list(BUCKETS), help_text="Series bucket (UTC).")
    since = serializers.DateTimeField(help_text="Start of the window.")
    until = serializers.DateTimeField(help_text="End of the window: the time of the answer.")
    hours = _float("Length of the window in hours.")
    buckets = serializers.ListField(
        child=serializers.DateTimeField(), help_text="Start of each bucket, oldest first."
    )


class MetricsAgreementSerializer(serializers.Serializer):
    metric = serializers.CharField(
        help_text="cohen_kappa, krippendorff_alpha, span_f1, box_f1, wer or "
        "preference_agreement, by task type."
    )
    value = _float("The agreement; null with too few tasks.", allow_null=True)
    tasks = _int("Overlapped tasks compared.")
    observed_agreement = _float(
        "Share of agreeing pairs (label types only).", required=False, allow_null=True
    )
    sampled = serializers.BooleanField(help_text="True when only the latest tasks were read.")


class MetricsReviewCountsSerializer(serializers.Serializer):
    accepted = _int("Accepted as submitted.")
    corrected = _int("Accepted after a correction.")
    rejected = _int("Sent back to labeling.")
    reviewed = _int("All verdicts.")
    acceptance_rate = _float("accepted / reviewed.", allow_null=True)
    kept_rate = _float("(accepted + corrected) / reviewed.", allow_null=True)


class MetricsGoldCountsSerializer(serializers.Serializer):
    answered = _int("Gold tasks answered (and judged).")
    correct = _int("Answered as the known answer.")
    accuracy = _float("correct / answered.", allow_null=True)


class MetricsQualityAnnotatorSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    review = MetricsReviewCountsSerializer(help_text="First-stage verdicts on their annotations.")
    gold = MetricsGoldCountsSerializer(allow_null=True)


class MetricsQualityReviewSerializer(serializers.Serializer):
    first_stage = MetricsReviewCountsSerializer()
    second_stage = MetricsReviewCountsSerializer()


class MetricsPrecisionSerializer(serializers.Serializer):
    precision = _float("Spot-checked machine labels accepted unchanged / spot-checked.",
                       allow_null=True)
    low = _float("Lower end of the 95% Wilson interval.")
    high = _float("Upper end of the 95% Wilson interval.")
    n = _int("Spot-checks.")


class MetricsQualitySerializer(serializers.Serializer):
    agreement = MetricsAgreementSerializer(help_text="Between annotators on overlapped tasks.")
    annotators = MetricsQualityAnnotatorSerializer(many=True, help_text="All time, per annotator.")
    review = MetricsQualityReviewSerializer(
        help_text="Verdicts on people's annotations, all time."
    )
    auto_accept_precision = MetricsPrecisionSerializer(help_text="On every spot-check, all time.")


class MetricsThroughputTotalSerializer(serializers.Serializer):
    submitted = _int("Annotations submitted in the window.")
    accepted = _int("Tasks accepted (by a reviewer or the machine) in the window, by when.")
    submitted_per_hour = _float("submitted / window hours.", allow_null=True)
    accepted_per_hour = _float("accepted / window hours.", allow_null=True)


class MetricsAnnotatorTotalSerializer(serializers.Serializer):
    submitted = _int("Their annotations submitted in the window.")
    accepted = _int(
        "Their annotations a reviewer accepted or corrected in the window (first stage)."
    )


class MetricsAnnotatorSeriesSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    submitted = _series(serializers.IntegerField(), "Their annotations submitted.")
    accepted = _series(
        serializers.IntegerField(), "Their annotations accepted or corrected by a reviewer."
    )
    total = MetricsAnnotatorTotalSerializer()


class MetricsThroughputSerializer(serializers.Serializer):
    submitted = _series(serializers.IntegerField(), "Annotations submitted.")
    accepted = _series(serializers.IntegerField(), "Tasks that became accepted.")
    total = MetricsThroughputTotalSerializer()
    annotators = MetricsAnnotatorSeriesSerializer(
        many=True, help_text="Everyone active in the window."
    )


class MetricsAnnotatorReviewSerializer(MetricsReviewCountsSerializer, MetricsSampleSerializer):
    pass


class MetricsAnnotatorGoldSerializer(MetricsGoldCountsSerializer, MetricsSampleSerializer):
    pass


class MetricsAnnotatorAgreementSerializer(MetricsSampleSerializer):
    metric = serializers.CharField(help_text="As quality.agreement.metric.")
    value = _float("Agreement on the overlapped tasks they labeled (quality's sample, all "
                   "time).", allow_null=True)
    tasks = _int("Those tasks.")


class MetricsAnnotatorRowSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    submitted = _int("Annotations submitted in the window (later rejected ones included).")
    timed = _int("Of which with a known active time.")
    active_hours = _float("Their known active time, in hours.")
    accepted = _int(
        "Their annotations a reviewer accepted or corrected in the window (first stage)."
    )
    items_per_active_hour = MetricsSampledValueSerializer(help_text="timed / active_hours.")
    review = MetricsAnnotatorReviewSerializer(
        help_text="First-stage verdicts given in the window."
    )
    gold = MetricsAnnotatorGoldSerializer(help_text="Gold answers submitted in the window.")
    agreement = MetricsAnnotatorAgreementSerializer(
        allow_null=True, help_text="Null when they labeled no overlapped task of the sample."
    )


class MetricsAcceptanceSerializer(MetricsSampledValueSerializer):
    unchanged = _int("Annotations submitted exactly as suggested.")


class MetricsEditSizeSerializer(MetricsSampledValueSerializer):
    metric = serializers.CharField(
        help_text="labels_changed, span_f1, box_iou, cer or choice_flipped, by task type "
        "(annotator.quality.edit_figure)."
    )


class MetricsUpliftSerializer(serializers.Serializer):
    median_with_s = _float("Median active seconds with a suggestion.", allow_null=True)
    median_without_s = _float("Median active seconds on held-out tasks.", allow_null=True)
    n_with = _int("Timed annotations with a suggestion (the latest 5,000 at most).")
    n_without = _int("Timed annotations of held-out tasks (the latest 5,000 at most).")
    difference_s = _float("median_with_s - median_without_s; negative = time saved.",
                          allow_null=True)
    low_s = _float("Lower end of the difference's 95% interval.", allow_null=True)
    high_s = _float("Upper end of the difference's 95% interval.", allow_null=True)
    saving_share = _float("-difference / median_without_s.", allow_null=True)
    holdout_rate = _float("The project's suggestion_holdout_rate.")
    insufficient = serializers.BooleanField(
        help_text=f"True when either group has fewer than {MINIMUM_SAMPLE}."
    )
    reason = serializers.CharField(allow_null=True)


class MetricsSuggestionsSerializer(serializers.Serializer):
    acceptance = MetricsAcceptanceSerializer(
        help_text="Share of annotations made from a suggestion submitted unchanged."
    )
    edit_size = MetricsEditSizeSerializer(
        help_text="Mean stored edit figure of spot-checked machine labels kept or corrected."
    )
    uplift = MetricsUpliftSerializer(help_text="Active time with a suggestion vs. without.")


MetricsByStatusSerializer = type(
    "MetricsByStatusSerializer",
    (serializers.Serializer,),
    {status: _int(f"Tasks {label.lower()}.") for status, label in TaskStatus.choices},
)


class MetricsReviewPendingSerializer(serializers.Serializer):
    total = _int("Items waiting for a reviewer.")
    annotation = _int("First-stage reviews of annotations.")
    spot_check = _int("Spot-checks of auto-accepted machine labels.")
    second_stage = _int("Second-stage reviews.")


class MetricsQueueSerializer(serializers.Serializer):
    by_status = MetricsByStatusSerializer(help_text="Tasks by status now, every status present.")
    total = _int("All tasks.")
    remaining = _int("Tasks neither accepted nor auto-accepted.")
    review_pending = MetricsReviewPendingSerializer()


class MetricsToFinishSerializer(serializers.Serializer):
    value = _float("remaining x per_item.", allow_null=True)
    reason = serializers.CharField(allow_null=True)


class MetricsEtaSerializer(MetricsSampleSerializer):
    days = _float("remaining / accepted_per_day.", allow_null=True)
    date = serializers.DateField(allow_null=True, help_text="until + days.")
    accepted_per_day = _float("Accepted in the window / window days.")


class MetricsCostSerializer(serializers.Serializer):
    hourly_rate = _float("The project's rate; null when not set.", allow_null=True)
    submitted = _int("Annotations submitted in the window.")
    timed = _int("Of which with a known active time (the others add no hours).")
    active_hours = _float("Known active time in the window, in hours.")
    labor_cost = _float("hourly_rate x active_hours.", allow_null=True)
    accepted = _int("Tasks accepted in the window (the machine's too).")
    remaining = _int("Tasks neither accepted nor auto-accepted.")
    per_item = MetricsSampledValueSerializer(help_text="labor_cost / accepted.")
    to_finish = MetricsToFinishSerializer()
    eta = MetricsEtaSerializer(help_text="When the remaining tasks are done at the window's rate.")


class MetricsMachineSeriesSerializer(serializers.Serializer):
    accepted = _series(serializers.IntegerField(), "Tasks accepted.")
    machine = _series(serializers.IntegerField(), "Of which the machine's labels.")
    share = _series(serializers.FloatField(allow_null=True), "machine / accepted.")


class MetricsMachinePrecisionSerializer(MetricsPrecisionSerializer, MetricsSampleSerializer):
    target_precision = _float("The project's target.")
    meets_target = serializers.BooleanField(
        allow_null=True, help_text="low >= target; null while insufficient."
    )


class MetricsMachineSerializer(serializers.Serializer):
    accepted = _int("Tasks accepted in the window.")
    auto_accepted = _int("Auto-accepted, or confirmed unchanged by a spot-check.")
    accepted_unchanged = _int("Accepted from an annotation that kept the suggestion.")
    machine = _int("auto_accepted + accepted_unchanged.")
    share = MetricsSampledValueSerializer(help_text="machine / accepted.")
    series = MetricsMachineSeriesSerializer()
    auto_accept_precision = MetricsMachinePrecisionSerializer(
        help_text="quality.auto_accept_precision against the project's target."
    )
    threshold = _float("Current auto_accept_threshold; null when routing is off.",
                       allow_null=True)


class ProjectMetricsOutputSerializer(serializers.Serializer):
    project = _int("Project id.")
    minimum_sample = _int("Below this n a figure is flagged insufficient.")
    period = MetricsPeriodSerializer()
    quality = MetricsQualitySerializer(required=False)
    throughput = MetricsThroughputSerializer(required=False, help_text="Over the window.")
    annotators = MetricsAnnotatorRowSerializer(
        many=True, required=False, help_text="Over the window."
    )
    suggestions = MetricsSuggestionsSerializer(required=False, help_text="Over the window.")
    queue = MetricsQueueSerializer(required=False, help_text="Now.")
    cost = MetricsCostSerializer(required=False, help_text="Over the window; remaining now.")
    machine = MetricsMachineSerializer(required=False, help_text="Over the window.")
