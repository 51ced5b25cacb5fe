"""Statistics for the dashboard, computed in SQL over the trigger-kept aggregate tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiohttp import web

from alprd.domain.lists import LIST_STATUSES
from alprd.redact import mask_secrets
from alprd.storage.repository import Repository
from alprd.web import keys
from alprd.web import schemas as s
from alprd.web.endpoint import Call, Endpoint
from alprd.web.routes.lists import regions_summary

PREFIX = "/api/statistics"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
REQUIRED_METHODS = (
    "total_detections",
    "counts_by",
    "daily_counts",
    "hourly_counts",
    "weekday_counts",
    "ping",
)


def _since(days: int, today: date | None = None) -> date:
    return (today or date.today()) - timedelta(days=days - 1)


def fill_days(counts: list[tuple[str, int]], since: date, today: date) -> list[s.DayCount]:
    """One entry per day from ``since`` to ``today``, zero where nothing was detected."""
    found = dict(counts)
    days = (today - since).days + 1
    return [
        s.DayCount(date=(d := (since + timedelta(days=i)).isoformat()), count=found.get(d, 0))
        for i in range(max(days, 0))
    ]


def fill_hours(counts: list[tuple[int, int]]) -> list[s.HourCount]:
    found = dict(counts)
    return [s.HourCount(hour=f"{h:02d}:00", count=found.get(h, 0)) for h in range(24)]


def fill_weekdays(counts: list[tuple[int, int]]) -> list[s.WeekdayCount]:
    found = dict(counts)
    return [s.WeekdayCount(day=name, count=found.get(i, 0)) for i, name in enumerate(WEEKDAYS)]


def _dashboard(repo: Repository, days: int, gate: str | None) -> s.Dashboard:
    today = date.today()
    since = _since(days, today)
    statuses = dict(repo.counts_by("status", gate))
    trend = fill_days(repo.daily_counts(since, gate), since, today)
    return s.Dashboard(
        totalDetections=repo.total_detections(gate),
        vehicleDistribution=dict(repo.counts_by("vehicle_class", gate)),
        detectionTrend=trend,
        hourlyActivity=fill_hours(repo.hourly_counts(since, gate)),
        plateStatus={k: statuses.get(k, 0) for k in LIST_STATUSES},
        todayDetections=trend[-1].count if trend else 0,
    )


async def dashboard(call: Call) -> s.Dashboard:
    return await call.db(_dashboard, call.app[keys.REPOSITORY], call.query.days, call.query.gate)


async def vehicle_distribution(call: Call) -> s.VehicleDistribution:
    counts = await call.db(call.app[keys.REPOSITORY].counts_by, "vehicle_class", call.query.gate)
    return s.VehicleDistribution(vehicleDistribution=dict(counts), total=sum(n for _, n in counts))


async def detection_trend(call: Call) -> s.DetectionTrend:
    today = date.today()
    since = _since(call.query.days, today)
    counts = await call.db(call.app[keys.REPOSITORY].daily_counts, since, call.query.gate)
    return s.DetectionTrend(detectionTrend=fill_days(counts, since, today))


async def hourly_activity(call: Call) -> s.HourlyActivity:
    counts = await call.db(call.app[keys.REPOSITORY].hourly_counts, _since(call.query.days), call.query.gate)
    return s.HourlyActivity(hourlyActivity=fill_hours(counts))


async def weekly_activity(call: Call) -> s.WeeklyActivity:
    counts = await call.db(call.app[keys.REPOSITORY].weekday_counts, _since(call.query.days), call.query.gate)
    return s.WeeklyActivity(weeklyActivity=fill_weekdays(counts))


async def plate_types(call: Call) -> s.PlateTypes:
    counts = await call.db(call.app[keys.REPOSITORY].counts_by, "plate_type", call.query.gate)
    return s.PlateTypes(plateTypes=dict(counts), total=sum(n for _, n in counts))


def statistics_routes(app: web.Application) -> list[s.RouteInfo]:
    """The router's real routes under /api/statistics (method sets per path)."""
    methods: dict[str, set[str]] = {}
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if path.startswith(PREFIX) and route.method != "HEAD":
            methods.setdefault(path, set()).add(route.method)
    return [s.RouteInfo(path=p, methods=sorted(m)) for p, m in methods.items()]


async def status(call: Call) -> s.StatusReport:
    repo = call.app[keys.REPOSITORY]
    accessible = await call.db(repo.ping)
    available = [m for m in REQUIRED_METHODS if callable(getattr(repo, m, None))]
    return s.StatusReport(
        status="online" if accessible else "degraded",
        timestamp=datetime.now().isoformat(),
        database=s.DatabaseInfo(
            accessible=accessible,
            path=mask_secrets(str(call.app[keys.CONFIG].storage.database)),
            available_methods=available,
            missing_methods=[m for m in REQUIRED_METHODS if m not in available],
        ),
        router=s.RouterInfo(prefix=PREFIX, tags=["statistics"], routes=statistics_routes(call.app)),
    )


def _ep(name: str, handler, summary: str, response, *, days: bool = False, gate: bool = True) -> Endpoint:
    return Endpoint(
        "GET",
        (f"{PREFIX}/{name}",),
        handler,
        summary,
        tag="statistics",
        query=s.DaysQuery if days else s.GateQuery if gate else None,
        response=response,
    )


ENDPOINTS = (
    _ep("dashboard", dashboard, "Get Statistics Dashboard", s.Dashboard, days=True),
    _ep("vehicle-distribution", vehicle_distribution, "Get Vehicle Distribution", s.VehicleDistribution),
    _ep("detection-trend", detection_trend, "Get Detection Trend", s.DetectionTrend, days=True),
    _ep("hourly-activity", hourly_activity, "Get Hourly Activity", s.HourlyActivity, days=True),
    _ep("weekly-activity", weekly_activity, "Get Weekly Activity", s.WeeklyActivity, days=True),
    _ep("plate-types", plate_types, "Get Plate Types", s.PlateTypes),
    _ep("regions", regions_summary, "Get Regions", s.RegionSummary),
    _ep("status", status, "Get Status", s.StatusReport, gate=False),
)
