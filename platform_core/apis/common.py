"""What every API view shares: JSON in and out, strict input, bounded bodies, paginated lists."""
import copy
from collections.abc import Iterable, Mapping

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from platform_core.apis.errors import RequestTooLarge

PAGINATION_PARAMS = frozenset({"page", "page_size"})


class BoundedJSONParser(JSONParser):
    """JSONParser that refuses bodies above DATA_UPLOAD_MAX_MEMORY_SIZE with a 413 before
    reading them.

    DRF before 3.17.2 read the request stream itself, which skipped Django's check of that
    setting (json.load would hold any body in memory whatever its size); later versions read
    `request.body`, whose RequestDataTooBig the exception handler answers with the same 413.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge(f"The request body is {length} bytes; the limit is {limit}.")
        return super().parse(stream, media_type, parser_context)


class PagePagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """Every answer is rendered as JSON, whatever the Accept header asks: <img> and <audio>
    ask for their own types, and matching Accept against the one renderer on every call is
    work for nothing. Request bodies are still parsed by their Content-Type."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    # JSON only: no browsable HTML pages, not even for errors. (A comment, not a docstring:
    # the schema would show a docstring as every view's description.)

    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnlyNegotiation
    pagination_class = PagePagination

    def paginated_response(self, queryset, serializer_class, **context):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        context = {"request": self.request, **context}
        return paginator.get_paginated_response(
            serializer_class(page, many=True, context=context).data
        )


def reject_unknown_query_params(request, allowed: Iterable[str] = ()) -> None:
    """400 for any query parameter outside `allowed` (plus paging), so that no client can
    reach into related fields with `?a__b=` and a misspelt filter is not silently ignored."""
    allowed = PAGINATION_PARAMS | set(allowed)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        hint = f"Not a query parameter here; use one of: {', '.join(sorted(allowed))}."
        raise ValidationError({name: [hint] for name in unknown})


class StrictInputSerializer(serializers.Serializer):
    """Refuses keys it does not declare: a typo or a read-only field is a 400, never a
    silently ignored no-op."""

    # key -> why it may not be written (for keys the client might reasonably try)
    refused_fields: Mapping[str, str] = {}

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            errors = {
                key: [self.refused_fields.get(key, "Unknown field.")]
                for key in data
                if key not in writable
            }
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)


def query_param(request, name: str, field: serializers.Field):
    """The query parameter `name` validated by `field`, or None when absent; 400 names it."""
    if name not in request.query_params:
        return None
    try:
        return field.run_validation(request.query_params[name])
    except ValidationError as error:
        raise ValidationError({name: error.detail}) from None


class PlainOutputSerializer(serializers.Serializer):
    # An output serializer that renders without building its fields. (A comment, not a
    # docstring: the schema would show it as the description of every subclass without one.)
    #
    # DRF deep-copies every declared field each time a serializer is instantiated (about 0.1 ms
    # for a dozen fields); the labeling calls render one object per request, where that copy is
    # a twentieth of the request's CPU. Simple fields (a dotted `source`, no nested serializer)
    # render through unbound copies made once per class: their `to_representation` reads no
    # serializer state. SerializerMethodFields call `get_<name>` on the instance as usual. The
    # schema still comes from the declared fields.

    _plain_plans: dict[type, list] = {}

    @classmethod
    def _plain_plan(cls) -> list[tuple[str, list[str], serializers.Field | None]]:
        plan = PlainOutputSerializer._plain_plans.get(cls)
        if plan is None:
            plan = []
            for name, field in cls._declared_fields.items():
                if isinstance(field, serializers.SerializerMethodField):
                    plan.append((name, [], None))
                    continue
                if isinstance(field, serializers.BaseSerializer) or field.source == "*":
                    raise TypeError(f"{cls.__name__}.{name}: only simple fields render plainly")
                source = (field.source or name).split(".")
                plan.append((name, source, copy.deepcopy(field)))
            PlainOutputSerializer._plain_plans[cls] = plan
        return plan

    def to_representation(self, instance):
        rendered = {}
        for name, source, field in self._plain_plan():
            if field is None:
                rendered[name] = getattr(self, f"get_{name}")(instance)
                continue
            value = instance
            for attribute in source:
                value = None if value is None else getattr(value, attribute)
            rendered[name] = None if value is None else field.to_representation(value)
        return rendered
