"""Calendar API (mounted at /api/v1/): the non-working days of a period and a due-date calculator.

Both are read-only computations open to every authenticated user; overrides are edited
in the admin by national administrators only.
"""

from datetime import date, timedelta

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from workdays.calendar import MAX_YEAR, MIN_YEAR, UNITS, OutOfRange, get_calendar

MAX_RANGE_DAYS = 3 * 366
MAX_AMOUNT = 1000
MAX_PAUSES = 100
BAD_REQUEST = OpenApiResponse(
    description='{"errors": [{"field": "amount", "message": "<vi> / <en>"}]}: each error names its field.'
)


def _bad(field, message):
    return serializers.ValidationError({field: [message]})


def _in_range(value):
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise serializers.ValidationError(
            _("Thời điểm phải trong các năm %(lo)s–%(hi)s. / The moment must be in %(lo)s–%(hi)s.")
            % {"lo": MIN_YEAR, "hi": MAX_YEAR}
        )
    return value


class PauseSerializer(serializers.Serializer):
    start = serializers.DateTimeField(validators=[_in_range], error_messages={
        "required": _("Cần thời điểm bắt đầu tạm dừng. / The pause start is required."),
        "invalid": _("Thời điểm không hợp lệ (ISO 8601). / Invalid date-time (ISO 8601)."),
        "null": _("Cần thời điểm bắt đầu tạm dừng. / The pause start is required."),
    })
    end = serializers.DateTimeField(required=False, allow_null=True, default=None, validators=[_in_range], error_messages={
        "invalid": _("Thời điểm không hợp lệ (ISO 8601). / Invalid date-time (ISO 8601)."),
    }, help_text="null: the clock is still stopped")

    def validate(self, attrs):
        if attrs.get("end") is not None and attrs["end"] < attrs["start"]:
            raise _bad("end", _("Kết thúc tạm dừng phải sau khi bắt đầu. / A pause must end after it starts."))
        return attrs


class DueDateRequest(serializers.Serializer):
    start = serializers.DateTimeField(validators=[_in_range], error_messages={
        "required": _("Cần thời điểm tiếp nhận. / The receipt time is required."),
        "invalid": _("Thời điểm không hợp lệ (ISO 8601). / Invalid date-time (ISO 8601)."),
        "null": _("Cần thời điểm tiếp nhận. / The receipt time is required."),
    })
    amount = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT, error_messages={
        "required": _("Cần thời hạn. / The amount is required."),
        "invalid": _("Thời hạn phải là số nguyên. / The amount must be a whole number."),
        "null": _("Cần thời hạn. / The amount is required."),
        "min_value": _("Thời hạn không được âm. / The amount cannot be negative."),
        "max_value": _("Thời hạn tối đa là {max_value}. / The amount is at most {max_value}."),
        "max_string_length": _("Thời hạn quá lớn. / The amount is too large."),
    })
    unit = serializers.ChoiceField(choices=UNITS, default="days", error_messages={
        "invalid_choice": _("Đơn vị phải là days, hours hoặc half_days. / The unit must be days, hours or half_days."),
    })
    pauses = serializers.ListField(
        child=PauseSerializer(), required=False, default=list, max_length=MAX_PAUSES,
        error_messages={
            "not_a_list": _("pauses phải là một danh sách. / pauses must be a list."),
            "max_length": _("Tối đa {max_length} lần tạm dừng. / At most {max_length} pauses."),
        },
    )


class DueDateResponse(serializers.Serializer):
    start = serializers.DateTimeField()
    amount = serializers.IntegerField()
    unit = serializers.CharField()
    due = serializers.DateTimeField(allow_null=True, help_text="null while an open pause stops the clock")
    counted_from = serializers.DateTimeField(help_text="the first working moment the clock counts")
    receipt_day = serializers.DateField(allow_null=True, help_text="days only: the day the dossier counts as received")
    allowed_seconds = serializers.IntegerField(help_text="working time the limit allows")
    paused_seconds = serializers.IntegerField(help_text="working time added by the pauses")
    stopped = serializers.BooleanField()


def _parse_day(request, name):
    value = request.query_params.get(name)
    if not value:
        raise _bad(name, _("Cần ngày (YYYY-MM-DD). / A date (YYYY-MM-DD) is required."))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _bad(name, _("Ngày không hợp lệ (YYYY-MM-DD). / Invalid date (YYYY-MM-DD).")) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _bad(name, _("Ngày phải trong các năm %(lo)s–%(hi)s. / The date must be in %(lo)s–%(hi)s.")
                   % {"lo": MIN_YEAR, "hi": MAX_YEAR})
    return day


class CalendarDays(APIView):
    @extend_schema(
        summary="Non-working days of a period",
        description="Public holidays, extra days off and make-up working days (working=true) between two "
        "dates inclusive, at most 3 years; weekends too with weekends=true.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("weekends", OpenApiTypes.BOOL, required=False, description="include Saturdays/Sundays"),
        ],
        responses={200: inline_serializer("CalendarDays", {
            "from": serializers.DateField(),
            "to": serializers.DateField(),
            "working_days": serializers.IntegerField(),
            "days": inline_serializer("CalendarDay", {
                "date": serializers.DateField(),
                "working": serializers.BooleanField(),
                "kind": serializers.ChoiceField(choices=["holiday", "day_off", "working_day", "weekend"]),
                "name": serializers.CharField(),
                "name_en": serializers.CharField(),
                "source": serializers.ChoiceField(choices=["holidays", "override", "weekend"]),
            }, many=True),
        }), 400: BAD_REQUEST},
    )
    def get(self, request):
        first, last = _parse_day(request, "from"), _parse_day(request, "to")
        if last < first:
            raise _bad("to", _("Ngày kết thúc phải sau ngày bắt đầu. / 'to' must not be before 'from'."))
        if (last - first).days >= MAX_RANGE_DAYS:
            raise _bad("to", _("Khoảng ngày tối đa 3 năm. / The range is at most 3 years."))
        weekends = request.query_params.get("weekends", "").lower() in ("1", "true", "yes")
        cal = get_calendar()
        days = cal.non_working_days(first, last, weekends=weekends)
        return Response({
            "from": first,
            "to": last,
            "working_days": cal.working_days_in(first, last),
            "days": [
                {"date": d.date, "working": d.working, "kind": d.kind, "name": d.name, "name_en": d.name_en,
                 "source": d.source}
                for d in days
            ],
        })


class DueDate(APIView):
    @extend_schema(
        summary="Due date of a time limit",
        description="Days: the end of the Nth working day after the receipt day (received after the cut-off "
        "or on a day off: the next working day). Half-days: the end of the Nth session after the receipt "
        "session. Hours: working time only. Pauses extend the deadline by their working time.",
        request=DueDateRequest,
        responses={200: DueDateResponse, 400: BAD_REQUEST},
    )
    def post(self, request):
        data = DueDateRequest(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        cal = get_calendar()
        pauses = [(p["start"], p["end"]) for p in values["pauses"]]
        try:
            deadline = cal.due(values["start"], values["amount"], values["unit"], pauses)
            receipt_day = cal.receipt_day(values["start"]) if values["unit"] == "days" else None
        except OutOfRange as exc:
            raise _bad("amount", str(exc)) from None
        return Response({
            "start": cal.local(values["start"]),
            "amount": values["amount"],
            "unit": values["unit"],
            "due": deadline.due,
            "counted_from": deadline.counted_from,
            "receipt_day": receipt_day,
            "allowed_seconds": int(deadline.allowed / timedelta(seconds=1)),
            "paused_seconds": int(deadline.paused / timedelta(seconds=1)),
            "stopped": deadline.stopped,
        })


urlpatterns = [
    path("calendar/days/", CalendarDays.as_view(), name="calendar-days"),
    path("calendar/due-date/", DueDate.as_view(), name="calendar-due-date"),
]
