"""Vehicle, plate and session records: read, update, delete (with the contract's cascades)."""

from __future__ import annotations

from alprd.storage.records import DeleteOutcome
from alprd.web import keys, serialize
from alprd.web import schemas as s
from alprd.web.endpoint import Call, Endpoint


async def _remove_files(call: Call, outcome: DeleteOutcome) -> None:
    await call.db(call.app[keys.IMAGE_STORE].delete, outcome.image_paths)


async def get_vehicle(call: Call) -> s.VehicleDetail:
    repo = call.app[keys.REPOSITORY]
    return serialize.vehicle_detail(await call.db(repo.get_vehicle, call.path.vehicle_id))


async def update_vehicle(call: Call) -> s.VehicleUpdated:
    body: s.VehicleUpdate = call.body
    vid = call.path.vehicle_id
    repo = call.app[keys.REPOSITORY]
    vehicle = await call.db(
        repo.update_vehicle, vid, vehicle_class=body.vehicle_class, confidence=body.vehicle_confidence_score
    )
    return s.VehicleUpdated(message=f"Successfully updated vehicle {vid}", vehicle=serialize.vehicle_detail(vehicle))


async def delete_vehicle(call: Call) -> s.VehicleDeleted:
    vid = call.path.vehicle_id
    outcome = await call.db(call.app[keys.REPOSITORY].delete_vehicle, vid)
    await _remove_files(call, outcome)
    return s.VehicleDeleted(
        message=f"Successfully deleted vehicle {vid} with {outcome.plates_deleted} plate records",
        vehicle_deleted=True,
        plates_deleted=outcome.plates_deleted,
        session_deleted=outcome.session_deleted,
    )


async def get_plate(call: Call) -> s.PlateDetail:
    repo = call.app[keys.REPOSITORY]
    return serialize.plate_detail(await call.db(repo.get_plate, call.path.plate_id))


async def update_plate(call: Call) -> s.PlateUpdated:
    body: s.PlateUpdate = call.body
    pid = call.path.plate_id
    plate = await call.db(
        call.app[keys.REPOSITORY].update_plate,
        pid,
        plate_text=body.plate_text,
        plate_status=body.plate_status,
        plate_type=body.plate_type,
    )
    return s.PlateUpdated(message=f"Successfully updated plate {pid}", plate=serialize.plate_detail(plate))


async def delete_plate(call: Call) -> s.PlateDeleted:
    pid = call.path.plate_id
    outcome = await call.db(call.app[keys.REPOSITORY].delete_plate, pid)
    await _remove_files(call, outcome)
    tail = " and its associated vehicle" if outcome.vehicle_deleted else ""
    return s.PlateDeleted(
        message=f"Successfully deleted plate {pid}{tail}",
        plate_deleted=True,
        vehicle_deleted=outcome.vehicle_deleted,
        session_deleted=outcome.session_deleted,
    )


async def list_sessions(call: Call) -> s.SessionList:
    q: s.PageQuery = call.query
    sessions, count = await call.db(call.app[keys.REPOSITORY].list_sessions, limit=q.limit, offset=q.offset)
    return s.SessionList(sessions=[serialize.session_summary(x) for x in sessions], count=count)


async def get_session(call: Call) -> s.SessionDetail:
    session = await call.db(call.app[keys.REPOSITORY].get_session, call.path.session_id)
    return serialize.session_detail(session)


async def update_session(call: Call) -> s.SessionUpdated:
    body: s.SessionUpdate = call.body
    sid = call.path.session_id
    session = await call.db(call.app[keys.REPOSITORY].update_session, sid, location=body.location, notes=body.notes)
    return s.SessionUpdated(message=f"Successfully updated session {sid}", session=serialize.session_detail(session))


_V = "/api/vehicles/{vehicle_id}"
_P = "/api/plates/{plate_id}"
_S = "/api/sessions/{session_id}"

ENDPOINTS = (
    Endpoint(
        "GET",
        (_V,),
        get_vehicle,
        "Get Vehicle Details",
        path_params=s.VehiclePath,
        response=s.VehicleDetail,
        errors=(404,),
    ),
    Endpoint(
        "PUT",
        (_V,),
        update_vehicle,
        "Update Vehicle Details",
        path_params=s.VehiclePath,
        body=s.VehicleUpdate,
        response=s.VehicleUpdated,
        errors=(404,),
    ),
    Endpoint(
        "POST",
        (_V,),
        update_vehicle,
        "Update Vehicle Details",
        path_params=s.VehiclePath,
        body=s.VehicleUpdate,
        response=s.VehicleUpdated,
        errors=(404,),
    ),
    Endpoint(
        "DELETE",
        (_V,),
        delete_vehicle,
        "Delete Vehicle Record",
        path_params=s.VehiclePath,
        response=s.VehicleDeleted,
        errors=(404,),
    ),
    Endpoint(
        "GET", (_P,), get_plate, "Get Plate Details", path_params=s.PlatePath, response=s.PlateDetail, errors=(404,)
    ),
    Endpoint(
        "PATCH",
        (_P,),
        update_plate,
        "Update Plate Details",
        path_params=s.PlatePath,
        body=s.PlateUpdate,
        response=s.PlateUpdated,
        errors=(400, 404),
    ),
    Endpoint(
        "POST",
        (_P,),
        update_plate,
        "Update Plate Details",
        path_params=s.PlatePath,
        body=s.PlateUpdate,
        response=s.PlateUpdated,
        errors=(400, 404),
    ),
    Endpoint(
        "DELETE",
        (_P,),
        delete_plate,
        "Delete Plate Record",
        path_params=s.PlatePath,
        response=s.PlateDeleted,
        errors=(404,),
    ),
    Endpoint(
        "GET",
        ("/api/sessions",),
        list_sessions,
        "Get Sessions",
        tag="sessions",
        query=s.PageQuery,
        response=s.SessionList,
    ),
    Endpoint(
        "GET",
        (_S,),
        get_session,
        "Get Session",
        tag="sessions",
        path_params=s.SessionPath,
        response=s.SessionDetail,
        errors=(404,),
    ),
    Endpoint(
        "PUT",
        (_S,),
        update_session,
        "Update Session",
        tag="sessions",
        path_params=s.SessionPath,
        body=s.SessionUpdate,
        response=s.SessionUpdated,
        errors=(404,),
    ),
)
