"""No secret through moto's own endpoints under ``/moto-api/``.

- ``GET /moto-api/data.json`` (moto's dump of every model, read by its dashboard at
  ``/moto-api/``) keeps its shape, without the attributes that hold secrets: secret access
  keys, session tokens, login-profile passwords, private keys, MFA seeds. The test evidence
  reads the full dump in-process instead (``model_data()``).
- moto's request recorder (``/moto-api/recorder/...``) is not served and records nothing: a
  recording keeps request headers and bodies - session tokens, passwords - and its replay
  sends them to any host.

The other ``/moto-api/`` endpoints (reset, seed, config, static results, state manager) hold
no secret; the emulator's own control API (control.py, accounts_ext.py) serves none."""

from __future__ import annotations

import json
import re
from typing import Any

SECRET_ATTRIBUTE = re.compile(r"secret|token|password$|private_key|string_seed|qr_code")
RECORDER_ROUTES = ("reset-recording", "start-recording", "stop-recording", "upload-recording", "download-recording", "replay-recording")

_ORIGINALS: dict[str, Any] = {}


def model_data() -> dict[str, Any]:
    """moto's dump of every model, secrets included: for tests in the process that serves the emulator."""
    _status, _headers, body = _ORIGINALS["model_data"](None, "", {})
    return json.loads(body)


def redacted(data: dict[str, Any]) -> dict[str, Any]:
    """The dump without the model attributes whose names say they hold a secret."""
    return {service: {model: [{name: value for name, value in instance.items() if not SECRET_ATTRIBUTE.search(name)}
                              for instance in instances]
                      for model, instances in models.items()}
            for service, models in data.items()}


def data_json(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:  # pylint: disable=unused-argument
    return 200, {"Content-Type": "application/javascript"}, json.dumps(redacted(model_data()))


def recorder_disabled(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:  # pylint: disable=unused-argument
    return 404, {"Content-Type": "text/plain"}, ("moto's request recorder is disabled in the rootguard emulator: a recording keeps "
                                                 "request headers and bodies (session tokens, passwords)\n")


def install() -> None:
    from moto.moto_api._internal import urls
    from moto.moto_api._internal.recorder.models import Recorder

    _ORIGINALS.setdefault("model_data", urls.response_instance.model_data)
    urls.url_paths["{0}/moto-api/data.json"] = data_json
    for route in RECORDER_ROUTES:
        urls.url_paths["{0}/moto-api/recorder/" + route] = recorder_disabled
    Recorder._record_request = lambda self, request, body=None: None  # type: ignore[method-assign]
