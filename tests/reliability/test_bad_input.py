"""Bad input: every option of every module gets invalid values - wrong types, malformed ids and
ARNs, out-of-range numbers, unknown choices, conflicting options, empty and huge lists, policy
JSON that does not parse, invalid bucket and queue names.  Each case must fail before any API
call, with a message that names the option, and cleanly (no module crash); the emulator's
request log proves that a module's whole batch of cases made no call.

The options come from each module's documentation (``ansible-doc --json``, which ansible-test
keeps equal to the argument spec), so an option added without a case here fails
test_every_option_of_every_module_has_a_case, and a module added to plugins/modules without an
entry in CASES fails it too.  A few amazon.aws connection options take any value and are
exempt, each with its reason (EXEMPT)."""

from __future__ import annotations

import pathlib

import pytest

from reliability_support import FEATURES, run_batch_playbook

REPO = pathlib.Path(__file__).resolve().parents[2]
MEMBER = "210000000001"
OTHER = "210000000002"
HUGE = 10001  # more account ids than an organization can hold

EXEMPT = {
    "access_key": "any string is a well-formed access key id; only AWS can refuse it, on the first call",
    "secret_key": "any string is a well-formed secret; only AWS can refuse it, on the first call",
    "session_token": "any string is a well-formed token; only AWS can refuse it, on the first call",
    "aws_ca_bundle": "a path read only when an https endpoint's certificate is verified, at the first connection",
}

# Cases every module gets: amazon.aws's connection options, and the values botocore would refuse
# when the module makes its first client.
COMMON = [
    ("validate_certs", "maybe", ["validate_certs", "bool"]),
    ("debug_botocore_endpoint_logs", "sometimes", ["debug_botocore_endpoint_logs", "bool"]),
    ("aws_config", "read_timeout", ["aws_config", "dict"]),
    ("aws_config", {"read_timeout_seconds": 2}, ["aws_config", "read_timeout_seconds"]),
    ("profile", "rootguard-reliability", ["profile"]),  # with the environment's access keys: a conflict
    ("region", "not a region!", ["region", "'not a region!'"]),
    ("region", ["us-east-1"], ["region"]),
    ("endpoint_url", "not-a-url", ["endpoint_url", "'not-a-url'"]),
]

# The three selectors: a case gives the selector alone (another one on top of the module's
# base would be a conflict, refused before the malformed value is looked at).
SELECTORS = [
    ("account_ids", {"account_ids": ["12345678901"]}, ["account_ids", "'12345678901'"]),
    ("account_ids", {"account_ids": ["arn:aws:iam::210000000001:root"]}, ["account_ids", "not an AWS account id"]),
    ("account_ids", {"account_ids": []}, ["account_ids", "empty"]),
    ("account_ids", {"account_ids": [f"{210000000000 + index:012d}" for index in range(HUGE)]}, ["account_ids", "10001", "10000"]),
    ("account_ids", {"account_ids": {"id": MEMBER}}, ["account_ids", "list"]),
    ("organizational_unit_ids", {"organizational_unit_ids": ["ou-bad"]}, ["organizational_unit_ids", "'ou-bad'"]),
    ("organizational_unit_ids", {"organizational_unit_ids": ["OU-AB12-CDEFGH34"]}, ["organizational_unit_ids", "'OU-AB12-CDEFGH34'"]),
    ("organizational_unit_ids", {"organizational_unit_ids": []}, ["organizational_unit_ids", "empty"]),
    ("all_accounts", {"all_accounts": False}, ["all_accounts", "selects nothing"]),
    ("all_accounts", {"all_accounts": "everything"}, ["all_accounts", "bool"]),
    ("account_ids", {"account_ids": [MEMBER], "all_accounts": True}, ["mutually exclusive", "account_ids", "all_accounts"]),
    ("organizational_unit_ids", {"organizational_unit_ids": ["ou-ab12-cdefgh34"], "account_ids": [MEMBER]},
     ["mutually exclusive", "account_ids", "organizational_unit_ids"]),
    ("all_accounts", {"exclude_account_ids": [MEMBER]}, ["one of the following is required", "account_ids", "organizational_unit_ids", "all_accounts"]),
]
# Options set on top of the module's base.
TARGETING = [
    ("exclude_account_ids", [MEMBER, "12345"], ["exclude_account_ids", "'12345'"]),
    ("exclude_account_ids", [f"{210000000000 + index:012d}" for index in range(HUGE)], ["exclude_account_ids", "10001"]),
]
# Only the listing takes include_inactive (the root-task modules never work in an inactive account).
LISTING = [
    ("include_inactive", "maybe", ["include_inactive", "bool"]),
]
BULK = [
    ("concurrency", 0, ["concurrency", "1 to 100"]),
    ("concurrency", 101, ["concurrency", "1 to 100"]),
    ("concurrency", "ten", ["concurrency", "int"]),
    ("concurrency", 2.5, ["concurrency", "int"]),
    ("fail_on_error", "maybe", ["fail_on_error", "bool"]),
    ("journal", "/nonexistent-rootguard/run.jsonl", ["journal", "'/nonexistent-rootguard'", "cannot be read"]),
    ("run_id", "", ["run_id", "1 to 128 characters"]),
    ("run_id", "r" * 129, ["run_id", "1 to 128 characters"]),
]
# The modules that return an entry per account (max_result_size, accounts_file).
RESULT_SIZE = [
    ("max_result_size", -1, ["max_result_size", "0 (no limit)", "-1"]),
    ("max_result_size", "big", ["max_result_size", "int"]),
    ("accounts_file", "/nonexistent-rootguard/accounts.json", ["accounts_file", "'/nonexistent-rootguard'", "does not exist"]),
    ("accounts_file", "/", ["accounts_file", "the path of a file", "'/'"]),
]
PRESENT = {"state": "present"}
# The two policy modules' shared options: (option, value, parts, other options the case needs).
POLICY_CASES = [
    ("policy", "{not json", ["policy", "not valid JSON"], PRESENT),
    ("policy", "[1, 2]", ["policy", "JSON object with a Statement"], PRESENT),
    ("policy", {"Version": "2012-10-17"}, ["policy", "Statement"], PRESENT),
    ("policy", '{"Statement": [{"Effect": "Deny", "Effect": "Allow"}]}', ["policy", "'Effect' appears twice"], PRESENT),
    ("restore_from", "/nonexistent/rootguard-backups/backup.json", ["restore_from", "cannot be read"], PRESENT),
    ("restore_from", "/nonexistent/backup.json", ["restore_from", "state: absent"], {"state": "absent"}),
    ("restore_from", "/nonexistent/backup.json", ["mutually exclusive", "restore_from"], {"state": "present", "policy": {"Statement": [{}]}}),
    ("restore_sha256", "abc", ["restore_sha256", "64 hexadecimal"], {"state": "present", "restore_from": "/nonexistent/backup.json"}),
    ("restore_sha256", "0" * 64, ["restore_sha256", "only used with restore_from"], {}),
    ("policy", {"Statement": [{"Effect": "Allow"}]}, ["policy", "state: absent"], {"state": "absent"}),
    ("only_if_locked", "maybe", ["only_if_locked", "bool"], {}),
    ("backup_dir", "/nonexistent/rootguard-backups", ["backup_dir", "not an existing directory"], {}),
    ("backup_dir", " ", ["backup_dir", "empty"], {}),
    ("state", "deleted", ["state", "absent, present"], {}),
    ("state", "present", ["state is present", "policy"], {}),
    ("account_id", "12345678901", ["account_id", "12 digits"], {}),
    ("account_id", "arn:aws:iam::210000000001:root", ["account_id", "12 digits"], {}),
]


def case(option, value, parts, others=None):
    return {"option": option, "set": {**(others or {}), option: value}, "parts": parts}


def replaced(option, args, parts):
    return {"option": option, "args": args, "parts": parts}


# One entry per module: the valid options each case starts from (``base``) and its cases.
# A case either sets one option on top of the base ("set") or gives all the options ("args").
CASES = {
    "organizations_service_access": {"base": {}, "cases": [
        case("service_principal", "not a principal", ["service_principal", "'not a principal'"]),
        case("service_principal", "iam", ["service_principal", "'iam'"]),
        case("service_principal", "a" * 200 + ".amazonaws.com", ["service_principal"]),
        case("service_principal", ["iam.amazonaws.com"], ["service_principal"]),
        case("state", "enabled", ["state", "present, absent", "enabled"]),
    ]},
    "organizations_delegated_administrator": {"base": {"account_id": MEMBER}, "cases": [
        case("account_id", "12345678901", ["account_id", "'12345678901'", "12 digits"]),
        case("account_id", "1234567890123", ["account_id", "'1234567890123'"]),
        case("account_id", "arn:aws:iam::210000000001:root", ["account_id", "12 digits"]),
        case("account_id", [MEMBER], ["account_id"]),
        replaced("account_id", {"service_principal": "iam.amazonaws.com"}, ["missing required arguments", "account_id"]),
        case("service_principal", "iam amazonaws com", ["service_principal"]),
        case("state", "registered", ["state", "present, absent", "registered"]),
    ]},
    "iam_organizations_features": {"base": {}, "cases": [
        case("root_credentials_management", "maybe", ["root_credentials_management", "bool"]),
        case("root_sessions", "sometimes", ["root_sessions", "bool"]),
        case("enable_trusted_access", "perhaps", ["enable_trusted_access", "bool"]),
    ]},
    "iam_organizations_features_info": {"base": {}, "cases": []},
    "organizations_account": {"base": {"name": "payments", "email": "aws-payments@example.com"}, "cases": [
        case("name", "", ["name"]),
        case("name", "n" * 51, ["name", "1 to 50"]),
        case("name", "tab\tname", ["name"]),
        replaced("name", {"email": "aws-payments@example.com"}, ["missing required arguments", "name"]),
        case("email", "not-an-email", ["email", "'not-an-email'"]),
        case("email", "a@" + "b" * 70 + ".example.com", ["email"]),
        case("email", "aws@payments@example.com", ["email", "'aws@payments@example.com'"]),
        case("email", 12345678, ["email"]),
        case("parent_id", "ou-bad", ["parent_id", "'ou-bad'"]),
        case("parent_id", "r-", ["parent_id"]),
        case("tags", "not a dictionary", ["tags", "dict"]),
        case("tags", {"aws:owner": "me"}, ["tags", "aws:"]),
        case("tags", {f"key{index}": "v" for index in range(51)}, ["tags", "51"]),
        case("tags", {"team": {"nested": True}}, ["tags", "team"]),
        case("purge_tags", "maybe", ["purge_tags", "bool"]),
        case("role_name", "bad role!", ["role_name", "'bad role!'"]),
        case("role_name", "r" * 65, ["role_name"]),
        case("iam_user_access_to_billing", "maybe", ["iam_user_access_to_billing", "bool"]),
        case("wait_timeout", 0, ["wait_timeout", "out of range"]),
        case("wait_timeout", 10 ** 9, ["wait_timeout", "out of range"]),
        case("wait_timeout", "soon", ["wait_timeout", "int"]),
        case("state", "absent", ["state", "present", "absent"]),
    ]},
    "organizations_account_info": {"base": {"all_accounts": True}, "cases": [
        *(replaced(*entry) for entry in SELECTORS),
        *(case(*entry) for entry in TARGETING),
        *(case(*entry) for entry in LISTING),
        case("include_tags", "maybe", ["include_tags", "bool"]),
        *(case(*entry) for entry in RESULT_SIZE),
    ]},
    "sts_assume_root": {"base": {"target_account": MEMBER, "task_policy": "IAMAuditRootUserCredentials"}, "cases": [
        case("target_account", "12345678901", ["target_account", "'12345678901'"]),
        case("target_account", "arn:aws:iam::210000000001:user/bob", ["target_account", "arn:aws:iam::210000000001:user/bob"]),
        case("target_account", "arn:aws-cn:iam::210000000001:root", ["target_account"]),
        replaced("target_account", {"task_policy": "IAMAuditRootUserCredentials"}, ["missing required arguments", "target_account"]),
        case("task_policy", "IAMDoEverything", ["task_policy", "'IAMDoEverything'"]),
        case("task_policy", "arn:aws:iam::aws:policy/AdministratorAccess", ["task_policy", "AdministratorAccess"]),
        case("duration_seconds", 901, ["duration_seconds", "0 to 900"]),
        case("duration_seconds", -1, ["duration_seconds", "0 to 900"]),
        case("duration_seconds", "an hour", ["duration_seconds", "int"]),
    ]},
    "root_credentials_info": {"base": {"all_accounts": True}, "cases": [
        *(replaced(*entry) for entry in SELECTORS),
        *(case(*entry) for entry in TARGETING),
        *(case(*entry) for entry in BULK),
        *(case(*entry) for entry in RESULT_SIZE),
        case("guardrails", "sometimes", ["guardrails", "check", "ignore"]),
    ]},
    "root_task_guardrails_info": {"base": {"all_accounts": True}, "cases": [
        *(replaced(*entry) for entry in SELECTORS),
        *(case(*entry) for entry in TARGETING),
        *(case(*entry) for entry in RESULT_SIZE),
        case("task_policies", ["IAMAuditRootUserCredentials", "IAMRotateRootUserKeys"], ["task_policies", "'IAMRotateRootUserKeys'"]),
        case("task_policies", [], ["task_policies", "empty"]),
        case("regions", ["us-east-1", "eu-west"], ["regions", "'eu-west'"]),
        case("regions", [], ["regions", "empty"]),
    ]},
    "root_credentials": {"base": {"all_accounts": True}, "cases": [
        *(replaced(*entry) for entry in SELECTORS),
        *(case(*entry) for entry in TARGETING),
        *(case(*entry) for entry in BULK),
        *(case(*entry) for entry in RESULT_SIZE),
        case("state", "present", ["state", "absent", "present"]),
        case("guardrails", "sometimes", ["guardrails", "check", "ignore"]),
        case("credential_types", ["passwords"], ["credential_types", "passwords"]),
        case("credential_types", [], ["credential_types", "empty"]),
        case("credential_types", ["password"] * HUGE + ["root_key"], ["credential_types", "root_key"]),
        case("max_changed_accounts", -1, ["max_changed_accounts", "-1"]),
        case("max_changed_accounts", "many", ["max_changed_accounts", "int"]),
        case("virtual_mfa_devices_left", ["GAHT12345678"], ["virtual_mfa_devices_left", "GAHT12345678", "not the serial"]),
        case("virtual_mfa_devices_left", "arn:aws:iam::210000000001:u2f/root-user/key", ["virtual_mfa_devices_left", "u2f"]),
        case("previous_journal", "/", ["previous_journal", "cannot be read"]),
    ]},
    "root_password_recovery": {"base": {"account_ids": [MEMBER]}, "cases": [
        *(replaced(*entry) for entry in SELECTORS),
        *(case(*entry) for entry in TARGETING),
        *(case(*entry) for entry in BULK),
        *(case(*entry) for entry in RESULT_SIZE),
        case("state", "enabled", ["state", "present, absent", "enabled"]),
    ]},
    "root_bucket_policy": {"base": {"account_id": MEMBER, "bucket": "payments-archive"}, "cases": [
        case("bucket", "Payments_Archive", ["bucket", "'Payments_Archive'"]),
        case("bucket", "ab", ["bucket", "'ab'"]),
        case("bucket", "b" * 64, ["bucket"]),
        case("bucket", "192.168.1.10", ["bucket", "'192.168.1.10'"]),
        case("bucket", "payments..archive", ["bucket", "'payments..archive'"]),
        case("bucket", "payments-archive-", ["bucket"]),
        replaced("bucket", {"account_id": MEMBER}, ["missing required arguments", "bucket"]),
        *(case(*entry) for entry in POLICY_CASES),
    ]},
    "security_hub_findings": {"base": {"findings": [{"kind": "root_password", "account_id": MEMBER}], "organization_id": "o-a1b2c3d4e5"},
                              "cases": [
        case("findings", ["root_password"], ["findings"]),
        case("findings", [{"kind": "root_everything", "account_id": MEMBER}], ["findings[0]", "'root_everything'"]),
        case("findings", [{"kind": "root_password", "account_id": "2100"}], ["findings[0].account_id", "'2100'"]),
        case("findings", [{"kind": "root_password", "account_id": MEMBER, "credentials": "password"}], ["findings[0].credentials"]),
        case("findings", {"kind": "root_password"}, ["findings", "list"]),
        replaced("findings", {"findings": [{"kind": "root_password", "account_id": MEMBER}]},
                 ["organization_id", "findings"]),
        case("organization_id", "org-1", ["organization_id", "'org-1'"]),
        case("audited_account_ids", ["12345"], ["audited_account_ids", "'12345'"]),
        case("audited_account_ids", "all", ["audited_account_ids", "'all'"]),
        replaced("report", {"report": "/"}, ["report", "cannot be read"]),
        replaced("report", {"report": "/dev/null"}, ["report", "no audit report", "not JSON"]),
        replaced("report", {"report": "/", "findings": []}, ["mutually exclusive", "report", "findings"]),
        replaced("report", {"organization_id": "o-a1b2c3d4e5"}, ["one of the following is required", "report", "findings"]),
    ]},
    "root_queue_policy": {"base": {"account_id": MEMBER, "queue_name": "orders"}, "cases": [
        case("queue_name", "orders queue", ["queue_name", "'orders queue'"]),
        case("queue_name", "q" * 81, ["queue_name"]),
        case("queue_name", "orders.fifo.fifo", ["queue_name"]),
        replaced("queue_url", {"account_id": MEMBER, "queue_url": "not a url"}, ["queue_url", "'not a url'"]),
        replaced("queue_url", {"account_id": MEMBER, "queue_url": f"https://sqs.us-east-1.amazonaws.com/{OTHER}/orders"},
                 ["queue_url", OTHER, MEMBER]),
        replaced("queue_url", {"account_id": MEMBER, "queue_url": f"https://sqs.us-east-1.amazonaws.com/{MEMBER}/bad name"},
                 ["queue_url"]),
        replaced("queue_url", {"account_id": MEMBER, "queue_name": "orders",
                               "queue_url": f"https://sqs.us-east-1.amazonaws.com/{MEMBER}/orders"},
                 ["mutually exclusive", "queue_url", "queue_name"]),
        replaced("queue_name", {"account_id": MEMBER}, ["one of the following is required", "queue_url", "queue_name"]),
        *(case(*entry) for entry in POLICY_CASES),
    ]},
}


def module_names() -> list:
    return sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if not path.name.startswith("_"))


@pytest.fixture(scope="module")
def documented_options(module_docs):
    return {name: set(doc["options"]) for name, doc in module_docs(module_names()).items()}


def all_cases(module: str) -> list:
    entry = CASES[module]
    cases = [*entry["cases"], *(case(*common) for common in COMMON)]
    resolved = []
    for number, item in enumerate(cases):
        args = item["args"] if "args" in item else {**entry["base"], **item["set"]}
        resolved.append({"name": f"{number:02d}-{item['option']}", "option": item["option"], "args": args, "parts": item["parts"]})
    return resolved


def run_batch(module, cases, options, control, run_playbook, tmp_path) -> dict:
    control.seed(accounts=3, profile="full", trusted_access=True, features=FEATURES)
    control.clear_requests()

    run = run_batch_playbook(run_playbook, tmp_path, {module: [{"name": item["name"], "args": item["args"]} for item in cases]},
                             {module: options})

    log = control.requests()
    assert log["count"] == 0, [f"{entry['service']}:{entry['action']}" for entry in log["entries"]]
    return run.result("cases")[module]


def test_every_option_of_every_module_has_a_case(documented_options):
    assert sorted(CASES) == module_names(), "every module of plugins/modules needs an entry in CASES"
    for module, options in documented_options.items():
        covered = {item["option"] for item in all_cases(module)}
        missing = options - covered - set(EXEMPT)
        assert not missing, f"{module}: no invalid-value case for {sorted(missing)}"
        unknown = covered - options
        assert not unknown, f"{module}: cases for options it does not have: {sorted(unknown)}"
    for option in EXEMPT:
        assert all(option in options for options in documented_options.values()), option


@pytest.mark.parametrize("module", sorted(CASES))
def test_bad_input_fails_before_any_call_naming_the_option(module, documented_options, control, run_playbook, tmp_path, record):
    cases = all_cases(module)
    results = run_batch(module, cases, documented_options[module], control, run_playbook, tmp_path)

    assert sorted(results) == sorted(item["name"] for item in cases)
    for item in cases:
        result = results[item["name"]]
        assert result.get("failed") is True, (item, result)
        message = result["msg"]
        for part in item["parts"]:
            assert part in message, f"{item['name']}: {part!r} not in {message!r}"
        assert not message.startswith("Task failed: Module failed"), f"{item['name']}: the module crashed: {message}"
        assert result.get("error_class") in (None, "invalid_input"), (item["name"], result)
        assert "credentials" not in result
    record(f"bad-input-{module.replace('_', '-')}", section="bad_input", module=module, cases=len(cases),
           options=len(documented_options[module]), exempt=len(set(EXEMPT) & documented_options[module]),
           api_calls=0)
