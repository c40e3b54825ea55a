"""Helpers of the controller suite: a job as an automation controller (AWX, Ansible Automation
Platform) runs it through ``ansible_runner.run()``, what it left, and the rules every job is judged by.

What a job gets is what AWX's ``RunJob`` gives ansible-runner (awx/main/tasks/jobs.py, ``BaseTask.run``
and ``RunJob.build_env``):

- a private data directory with the project (a playbook that imports the collection's playbook by
  its FQCN; the collection is found through ANSIBLE_COLLECTIONS_PATH, as if installed in the
  execution environment), the inventory (AWX's "Demo Inventory": localhost, connection local),
  ``env/extravars`` and ``env/settings`` written beforehand, and ``suppress_env_files`` on, so that
  ansible-runner writes no ``env/envvars``;
- the extra vars as ``RunJob.build_extra_vars_file`` writes them: the job template's own extra vars
  as they are, everything else (launch-time and survey answers, the ``awx_*`` / ``tower_*`` meta
  variables) tagged ``!unsafe`` (awx/main/utils/safe_yaml.py, ``safe_dump``; ALLOW_JINJA_IN_EXTRA_VARS
  is ``template`` by default);
- the environment: MAX_EVENT_RES=700000 (``env['MAX_EVENT_RES'] = str(settings.MAX_EVENT_RES_DATA)``
  in ``RunJob.build_env``, MAX_EVENT_RES_DATA = 700000 in awx/settings/defaults.py), JOB_ID and
  INVENTORY_ID, the emulator's endpoint (what an execution environment's AWS_ENDPOINT_URL would be)
  and the credentials as the "Amazon Web Services" credential type injects them
  (CREDENTIAL_INJECTIONS).  No AWS region: the credential type injects none.

ansible-runner's event callback (ansible_runner/display_callback/callback/awx_display.py,
``get_begin_dict``) reads MAX_EVENT_RES in the ansible-playbook process and replaces the ``res`` of
any event but ``playbook_on_stats`` whose ``str()`` is longer by ``{}``; the job events
(artifacts/<ident>/job_events/*.json, what AWX stores) then hold that."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import multiprocessing
import pathlib

import ansible_runner
import boto3
import yaml

from rootguard_emulator.evidence import REGION, issued_secrets, leaks

MANAGEMENT = "123456789012"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
# AWX's MAX_EVENT_RES_DATA, passed to the job as MAX_EVENT_RES.
MAX_EVENT_RES = 700000
# The events whose res ansible-runner's callback leaves alone whatever its size.
UNLIMITED_EVENTS = {"playbook_on_stats"}
RESULT_EVENTS = ("runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable")
# AWX's "Demo Inventory" (awx/main/management/commands/create_preload_data.py).
DEMO_INVENTORY = {"all": {"hosts": {"localhost": {"ansible_connection": "local",
                                                  "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}


# ---------------------------------------------------------------------------
# The "Amazon Web Services" credential type


@dataclasses.dataclass(frozen=True)
class CredentialInjection:
    """The environment variables the controller's "Amazon Web Services" credential type sets from
    its Access Key, Secret Key and STS Token fields.  Its injector (``aws`` in
    awx_plugins/credentials/injectors.py of ansible/awx-plugins, which AWX loads since 24.x; before,
    awx/main/models/credential/injectors.py of ansible/awx) sets AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY and, with an STS token, AWS_SECURITY_TOKEN; since AWX 22.0.0 (ansible/awx
    pull request 13297) AWS_SESSION_TOKEN too, with the same value.  AWX 21 and earlier, and the
    controllers built on them, set only AWS_SECURITY_TOKEN."""

    name: str
    token_variables: tuple

    def environment(self, credentials: dict) -> dict:
        environment = {"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"]}
        environment.update({variable: credentials["SessionToken"] for variable in self.token_variables})
        return environment


SESSION_TOKEN = CredentialInjection("session-token", ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"))
SECURITY_TOKEN_ONLY = CredentialInjection("security-token-only", ("AWS_SECURITY_TOKEN",))
CREDENTIAL_INJECTIONS = (SESSION_TOKEN, SECURITY_TOKEN_ONLY)


def automation_credentials(endpoint: str) -> dict:
    """Temporary credentials of an automation role in the management account, issued by the
    emulator: what a controller's AWS credential with an STS token holds."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="controller-automation", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    return sts.assume_role(RoleArn=role["Arn"], RoleSessionName="controller-job")["Credentials"]


# ---------------------------------------------------------------------------
# Extra vars as a job template passes them


class _UnsafeStringDumper(yaml.SafeDumper):
    """AWX's SafeStringDumper (awx/main/utils/safe_yaml.py): every string tagged ``!unsafe``."""

    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar("!unsafe", data)
        return super().represent_data(data)


def extravars_text(template_vars: dict, launch_vars: dict, meta: dict) -> str:
    """``env/extravars`` as AWX's ``safe_dump(extra_vars, safe_dict=job_template.extra_vars)`` writes
    it: each top-level variable in a document of its own, plain when the job template itself sets
    it to that value, with every string ``!unsafe`` otherwise."""
    extra_vars = {**template_vars, **launch_vars, **meta}
    documents = []
    for name, value in extra_vars.items():
        dumper = yaml.SafeDumper if name in template_vars and template_vars[name] == value else _UnsafeStringDumper
        documents.append(yaml.dump_all([{name: value}], None, Dumper=dumper, default_flow_style=False))
    return "".join(documents)


def meta_vars(job_id: int, template_name: str) -> dict:
    """Some of the meta variables AWX adds to every job's extra vars (``awx_meta_vars``, both prefixes)."""
    variables = {}
    for prefix in ("awx", "tower"):
        variables.update({f"{prefix}_job_id": job_id, f"{prefix}_job_launch_type": "manual", f"{prefix}_user_name": "admin",
                          f"{prefix}_job_template_id": 7, f"{prefix}_job_template_name": template_name})
    return variables


# ---------------------------------------------------------------------------
# A job and what it left


@dataclasses.dataclass
class Job:
    status: str
    rc: int
    events: list
    private_data_dir: pathlib.Path
    ident: str
    injected: dict
    # (access key id, session token) of every request the emulator received during the job
    requests: list = dataclasses.field(default_factory=list)

    @property
    def artifact_dir(self) -> pathlib.Path:
        return self.private_data_dir / "artifacts" / self.ident

    def stdout(self) -> str:
        return "\n".join(event["stdout"] for event in self.events if event.get("stdout"))

    def results(self, action: str, events=("runner_on_ok", "runner_on_failed")) -> list:
        """The result events of the tasks that ran module or action ``action`` (an FQCN)."""
        return [event for event in self.events if event["event"] in events and event["event_data"].get("resolved_action") == action]

    def result(self, action: str) -> dict:
        """The one result event of ``action``."""
        found = self.results(action)
        assert len(found) == 1, (action, [event["event"] for event in found], self.describe())
        return found[0]

    def task(self, name: str) -> list:
        """The result events (ok, failed, skipped, unreachable) of the task named ``name``."""
        return [event for event in self.events if event["event"] in RESULT_EVENTS and event["event_data"].get("task") == name]

    def outcomes(self) -> dict:
        """Per host, the counters of playbook_on_stats (ok, changed, failures, dark, skipped, ...)."""
        [stats] = [event["event_data"] for event in self.events if event["event"] == "playbook_on_stats"]
        counters = ("ok", "changed", "failures", "dark", "skipped", "rescued", "ignored")
        hosts = set().union(*(stats.get(counter) or {} for counter in counters))
        return {host: {counter: (stats.get(counter) or {}).get(host, 0) for counter in counters} for host in hosts}

    def failed_tasks(self) -> list:
        return [event["event_data"]["task"] for event in self.events
                if event["event"] == "runner_on_failed" and not event["event_data"].get("ignore_errors")]

    def project_file(self, relative_path: str) -> pathlib.Path:
        """A file the job wrote under its project directory (its working directory)."""
        return self.private_data_dir / "project" / relative_path

    def describe(self) -> str:
        return f"status {self.status}, rc {self.rc}, failed tasks {self.failed_tasks()}\n{self.stdout()[-4000:]}"


def run_job(private_data_dir: pathlib.Path, ident: str, playbook: str, environment: dict, injected: dict,
            template_vars: dict | None = None, launch_vars: dict | None = None) -> Job:
    """Run playbooks/<playbook>.yml (imported by its FQCN from the project) as the job ``ident`` of a
    job template named after it, with ``environment`` and the ``injected`` credential variables."""
    (private_data_dir / "project").mkdir(parents=True)
    (private_data_dir / "env").mkdir()
    (private_data_dir / "project" / f"{playbook}.yml").write_text(f"- ansible.builtin.import_playbook: rootguard.aws.{playbook}\n")
    template_name = playbook.replace("_", " ").capitalize()
    (private_data_dir / "env" / "extravars").write_text(
        extravars_text(template_vars or {}, launch_vars or {}, meta_vars(int(ident), template_name)))
    # AWX also sets suppress_output_file: here artifacts/<ident>/stdout is written, and searched for secrets too.
    (private_data_dir / "env" / "settings").write_text(json.dumps({"job_timeout": 1800, "suppress_ansible_output": True,
                                                                   "suppress_output_file": False}))
    envvars = {**environment, **injected, "MAX_EVENT_RES": str(MAX_EVENT_RES), "JOB_ID": ident, "INVENTORY_ID": "1",
               "ANSIBLE_RETRY_FILES_ENABLED": "False"}
    status, rc, events = _run_in_a_fresh_process(dict(private_data_dir=str(private_data_dir), ident=ident, playbook=f"{playbook}.yml",
                                                      inventory=DEMO_INVENTORY, envvars=envvars, suppress_env_files=True, quiet=True))
    return Job(status, rc, sorted(events, key=lambda event: event["counter"]), private_data_dir, ident, injected)


def _run_in_a_fresh_process(runner_options: dict) -> tuple:
    """``ansible_runner.run(**runner_options)`` in a new Python process (spawned, not forked):
    ansible-runner starts ansible-playbook through pexpect's forkpty(), which in the test process,
    where the emulator serves from threads, could deadlock the child before it runs anything (as
    an AWX execution node runs ansible-runner, in a process of its own).  Returns runner's status,
    rc and events."""
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as executor:
        return executor.submit(_run, runner_options).result()


def _run(runner_options: dict) -> tuple:
    runner = ansible_runner.run(**runner_options)
    return runner.status, runner.rc, list(runner.events)


# ---------------------------------------------------------------------------
# What every job is judged by


def result_sizes(job: Job) -> list:
    """(characters of str(res), event, task) of every event with a result, largest first."""
    sizes = [(len(str(event["event_data"]["res"])), event["event"], event["event_data"].get("task"))
             for event in job.events if "res" in event.get("event_data", {}) and event["event"] not in UNLIMITED_EVENTS]
    return sorted(sizes, reverse=True)


def results_beyond_the_limit(job: Job) -> list:
    """The events whose result a controller does not keep: replaced by ``{}`` (longer than
    MAX_EVENT_RES characters when the task returned it), or not shorter than the limit; as
    (event, task, characters)."""
    return [(event["event"], event["event_data"].get("task"), len(str(event["event_data"]["res"])))
            for event in job.events
            if "res" in event.get("event_data", {}) and event["event"] not in UNLIMITED_EVENTS
            and (event["event_data"]["res"] == {} or len(str(event["event_data"]["res"])) >= MAX_EVENT_RES)]


def assert_within_the_event_limit(job: Job) -> None:
    """Every task result is kept by the controller: shorter than MAX_EVENT_RES characters and not
    the ``{}`` that replaces a longer one; and the job ran with AWX's MAX_EVENT_RES and JOB_ID
    (every event carries the job id the callback read from the job's environment)."""
    command = json.loads((job.artifact_dir / "command").read_text())
    assert command["env"]["MAX_EVENT_RES"] == str(MAX_EVENT_RES)
    assert all(event.get("job_id") == int(job.ident) for event in job.events if "event_data" in event)
    assert result_sizes(job), "the job has no task result"
    assert not results_beyond_the_limit(job), results_beyond_the_limit(job)


def artifact_texts(job: Job) -> dict:
    """Every file under the job's private data directory - the artifacts (job_events, stdout,
    stderr, command, status, rc, fact_cache), env, the project with the reports and backups the
    job wrote, the inventory - as text by relative path.  ansible-runner records the job's whole
    environment in artifacts/<ident>/command (its ``env``), the credential the controller injected
    included, by design: that file must hold exactly the injected values under the injected names,
    which are then blanked there, and it is searched like every other file."""
    texts = {str(path.relative_to(job.private_data_dir)): path.read_bytes().decode("latin-1")
             for path in sorted(job.private_data_dir.rglob("*")) if path.is_file()}
    command_file = f"artifacts/{job.ident}/command"
    command = json.loads(texts[command_file])
    assert {name: command["env"].get(name) for name in job.injected} == job.injected
    command["env"].update({name: "(injected)" for name in job.injected})
    texts[command_file] = json.dumps(command)
    return texts


def assert_no_secret_in_the_artifacts(job: Job, endpoint: str) -> None:
    """No secret the emulator issued - the root sessions' keys and tokens, the automation role's
    session (the injected credential), every IAM access key's secret - whole or in part, in any
    file of the job's private data directory (artifact_texts); the secrets are collected as the
    reliability suite does (rootguard_emulator.evidence.issued_secrets)."""
    secrets = issued_secrets(endpoint)
    injected_secrets = {value for name, value in job.injected.items() if name != "AWS_ACCESS_KEY_ID"}
    assert injected_secrets <= set(secrets.values())
    assert any(what.startswith("session token of root session") for what in secrets), sorted(secrets)
    texts = artifact_texts(job)
    assert any(name.startswith(f"artifacts/{job.ident}/job_events/") for name in texts), sorted(texts)
    assert {f"artifacts/{job.ident}/{name}" for name in ("stdout", "command", "status", "rc")} <= set(texts), sorted(texts)
    assert not leaks(texts, secrets), leaks(texts, secrets)[:10]


def assert_the_injected_credential_was_used(job: Job) -> None:
    """The job called AWS with the injected credential, and every such call carried its session
    token, whichever variables the controller put it in."""
    tokens = [token for access_key, token in job.requests if access_key == job.injected["AWS_ACCESS_KEY_ID"]]
    assert tokens, f"no call with the injected access key among {len(job.requests)}"
    assert set(tokens) == {job.injected["AWS_SECURITY_TOKEN"]}, f"{sum(token is None for token in tokens)} of {len(tokens)} calls without the token"


def assert_successful(job: Job) -> None:
    assert (job.status, job.rc) == ("successful", 0), job.describe()
    assert job.failed_tasks() == [], job.describe()
