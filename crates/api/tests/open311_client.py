"""Drives minsheng's Open311 GeoReport v2 endpoint with real third-party clients from PyPI.

Usage: open311_client.py BASE_URL API_KEY SERVICE_CODE

- georeport (GeoReport) reads services, a service definition and requests, in JSON and in XML
  (its XML path parses our documents with xmltodict, as it would any city's);
- civicbot (Open311Client) validates a request against our live service list and definition,
  files it form-encoded with attribute[CODE] values, reads it back and resolves its token.

Prints one JSON object of what the clients saw; the Rust test (tests/open311.rs) asserts on it.
"""

import json
import sys

from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport


def main() -> None:
    base, api_key, code = sys.argv[1], sys.argv[2], sys.argv[3]
    seen = {}

    as_json = GeoReport(base)
    as_xml = GeoReport(base, output_format="xml")
    seen["services_json"] = len(as_json.get_service_list())
    seen["services_xml"] = len(as_xml.get_service_list())
    definition = as_json.get_service_definition(code)
    seen["definition_attributes"] = [a["code"] for a in definition["attributes"]]
    xml_definition = as_xml.get_service_definition(code)
    assert xml_definition["service_code"] == code, xml_definition

    # civicbot is polite to real cities (0.5 s between calls); a test server needs no pause.
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0.0))
    endpoint = Endpoint(id="minsheng-test", name="minsheng", base_url=base, write=True)
    client = Open311Client(endpoint, transport=transport)
    filed = client.create_request(
        code,
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        validate_remote=True,
        lat=20.0286,
        lng=110.3390,
        address_string="海口市龙华区金贸街道玉沙路 12 号",
        description="路边大排档油烟和噪音扰民",
        attributes={"CASE_TYPE": "complaint", "URGENCY": "normal"},
        media_url="https://example.org/photos/stall.jpg",
        first_name="五",
        last_name="王",
        phone="13700001234",
    )
    answer = filed.response[0]
    posted = answer["service_request_id"]
    seen["posted_id"] = posted

    back = client.get_request(posted)
    seen["read_back_json"] = {k: back.get(k) for k in ("service_request_id", "status", "description", "media_url")}
    assert back["media_url"] == "https://example.org/photos/stall.jpg", back
    assert abs(float(back["lat"]) - 20.0286) < 1e-6 and abs(float(back["long"]) - 110.3390) < 1e-6, back
    assert "13700001234" not in json.dumps(back, ensure_ascii=False), back

    xml_back = as_xml.get_service_request(posted)
    seen["read_back_xml"] = {k: xml_back.get(k) for k in ("service_request_id", "status")}

    listed = as_json.get_service_requests(service_code=code, status="open")
    xml_listed = as_xml.get_service_requests(service_code=code, status="open")
    if isinstance(xml_listed, dict):  # xmltodict gives a lone element, not a list
        xml_listed = [xml_listed]
    seen["listed_by_service_and_status"] = any(r["service_request_id"] == posted for r in listed) and any(
        r["service_request_id"] == posted for r in xml_listed
    )

    token = client.get_token(answer["token"])
    seen["token_resolves"] = token[0]["service_request_id"]

    try:
        client.create_request(
            code, dry_run=False, confirm="SEND", api_key="msk_wrong_key", address_string="海口市龙华区", description="x"
        )
        seen["bad_key_status"] = 200
    except HttpError as e:
        seen["bad_key_status"] = e.status
        assert json.loads(e.body)[0]["code"] == 403, e.body

    print(json.dumps(seen, ensure_ascii=False))


if __name__ == "__main__":
    main()
