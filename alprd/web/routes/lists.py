"""Region table (from the country packs) and plate status (white/black access lists)."""

from __future__ import annotations

from alprd.errors import NotFoundError
from alprd.web import keys
from alprd.web import schemas as s
from alprd.web.endpoint import FORM, JSON, Call, Endpoint


async def list_regions(call: Call) -> s.RegionList:
    pack = call.app[keys.PACKS]
    return s.RegionList(regions=[s.Region(code=c, name=n) for c, n in pack.regions.items()])


async def get_region(call: Call) -> s.Region:
    pack = call.app[keys.PACKS]
    code = call.path.code.upper()
    if code not in pack.regions:
        raise NotFoundError(f"Region code {call.path.code} not found")
    return s.Region(code=code, name=pack.regions[code])


async def regions_summary(call: Call) -> s.RegionSummary:
    pack = call.app[keys.PACKS]
    counts = await call.db(call.app[keys.REPOSITORY].counts_by, "region", call.query.gate)
    regions = [
        s.RegionCount(
            code=code,
            name=pack.regions.get(code, code or "Unknown"),
            region=f"{code} ({pack.regions[code]})" if code in pack.regions else (code or "Unknown"),
            count=n,
        )
        for code, n in counts
    ]
    return s.RegionSummary(regions=regions, total=sum(r.count for r in regions))


async def list_plate_statuses(call: Call) -> s.PlateStatusList:
    statuses = await call.db(call.app[keys.REPOSITORY].list_statuses)
    return s.PlateStatusList(
        status="success", plate_statuses=[s.PlateStatusEntry(plate_text=t, status=x) for t, x in statuses.items()]
    )


async def _lists_changed(call: Call) -> None:
    callback = call.app[keys.ON_LISTS_CHANGED]
    if callback is not None:
        callback(await call.db(call.app[keys.REPOSITORY].list_statuses))


async def add_plate_status(call: Call) -> s.StatusMessage:
    body: s.Body_add_plate_status_api_plate_status_post = call.body
    text = await call.db(call.app[keys.REPOSITORY].set_status, body.plate_text, body.status_type)
    await _lists_changed(call)
    return s.StatusMessage(status="success", message=f"Plate {text} added to {body.status_type}")


async def remove_plate_status(call: Call) -> s.StatusMessage:
    text = call.path.plate_text
    await call.db(call.app[keys.REPOSITORY].remove_status, text)
    await _lists_changed(call)
    return s.StatusMessage(status="success", message=f"Plate {text} removed from status list")


async def sync_all(call: Call) -> s.SyncResult:
    details = await call.db(call.app[keys.REPOSITORY].sync_all_statuses)
    total = sum(details.values())
    return s.SyncResult(
        status="success",
        message=f"Successfully synchronized {total} plate statuses",
        details=s.SyncDetails(**details),
    )


ENDPOINTS = (
    Endpoint(
        "GET",
        ("/api/plate/regions", "/api/plates/regions"),
        list_regions,
        "Get Plate Regions",
        tag="regions",
        response=s.RegionList,
    ),
    Endpoint(
        "GET",
        ("/api/plates/regions/summary",),
        regions_summary,
        "Get Plate Regions Summary",
        tag="regions",
        query=s.GateQuery,
        response=s.RegionSummary,
    ),
    Endpoint(
        "GET",
        ("/api/plate/region/{code}", "/api/plates/regions/{code}"),
        get_region,
        "Get Plate Region by Code",
        tag="regions",
        path_params=s.RegionPath,
        response=s.Region,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        ("/api/plate-status",),
        list_plate_statuses,
        "Get Plate Statuses",
        tag="plate-status",
        response=s.PlateStatusList,
    ),
    Endpoint(
        "POST",
        ("/api/plate-status",),
        add_plate_status,
        "Add Plate Status",
        tag="plate-status",
        body=s.Body_add_plate_status_api_plate_status_post,
        body_media=(JSON, FORM),
        response=s.StatusMessage,
        errors=(400,),
    ),
    Endpoint(
        "POST",
        ("/api/plate-status/sync-all",),
        sync_all,
        "Sync All Plate Statuses",
        tag="plate-status",
        response=s.SyncResult,
    ),
    Endpoint(
        "DELETE",
        ("/api/plate-status/{plate_text}",),
        remove_plate_status,
        "Remove Plate Status",
        tag="plate-status",
        path_params=s.PlateTextPath,
        response=s.StatusMessage,
        errors=(404,),
    ),
)
