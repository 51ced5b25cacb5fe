"""Locations (gates): list, create, read, update, delete, types, count."""

from __future__ import annotations

from alprd.web import keys, serialize
from alprd.web import schemas as s
from alprd.web.endpoint import Call, Endpoint


async def list_locations(call: Call) -> s.LocationList:
    rows = await call.db(call.app[keys.REPOSITORY].list_locations)
    return s.LocationList([serialize.location(x) for x in rows])


async def create_location(call: Call) -> s.Location:
    body: s.LocationCreate = call.body
    row = await call.db(call.app[keys.REPOSITORY].create_location, body.name, body.type)
    return serialize.location(row)


async def get_location(call: Call) -> s.Location:
    return serialize.location(await call.db(call.app[keys.REPOSITORY].get_location, call.path.location_id))


async def update_location(call: Call) -> s.Location:
    body: s.LocationBase = call.body
    row = await call.db(
        call.app[keys.REPOSITORY].update_location, call.path.location_id, name=body.name, type_=body.type
    )
    return serialize.location(row)


async def delete_location(call: Call) -> s.LocationDeleted:
    lid = call.path.location_id
    await call.db(call.app[keys.REPOSITORY].delete_location, lid)
    return s.LocationDeleted(message=f"Location {lid} deleted successfully")


async def location_types(call: Call) -> s.LocationTypes:
    return s.LocationTypes(types=await call.db(call.app[keys.REPOSITORY].location_types))


async def location_count(call: Call) -> s.LocationCount:
    return s.LocationCount(count=await call.db(call.app[keys.REPOSITORY].count_locations))


_ROOT = ("/api/locations/", "/api/locations")
_ONE = "/api/locations/{location_id}"
_TAG = "locations"

ENDPOINTS = (
    Endpoint("GET", _ROOT, list_locations, "Get All Locations", tag=_TAG, response=s.LocationList),
    Endpoint(
        "POST",
        _ROOT,
        create_location,
        "Create Location",
        tag=_TAG,
        body=s.LocationCreate,
        response=s.Location,
        errors=(409,),
    ),
    Endpoint(
        "GET", ("/api/locations/types",), location_types, "Get Location Types", tag=_TAG, response=s.LocationTypes
    ),
    Endpoint(
        "GET", ("/api/locations/count",), location_count, "Get Location Count", tag=_TAG, response=s.LocationCount
    ),
    Endpoint(
        "GET",
        (_ONE,),
        get_location,
        "Get Location",
        tag=_TAG,
        path_params=s.LocationPath,
        response=s.Location,
        errors=(404,),
    ),
    Endpoint(
        "PUT",
        (_ONE,),
        update_location,
        "Update Location",
        tag=_TAG,
        path_params=s.LocationPath,
        body=s.LocationBase,
        response=s.Location,
        errors=(404, 409),
    ),
    Endpoint(
        "DELETE",
        (_ONE,),
        delete_location,
        "Delete Location",
        tag=_TAG,
        path_params=s.LocationPath,
        response=s.LocationDeleted,
        errors=(404,),
    ),
)
