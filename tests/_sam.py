"""Shared parts of the deployment tests: the SAM CLI, template.yml, the
Lambda runtime's Python, a local S3, and a driver that runs the handler in a
separate process.

template.yml uses CloudFormation's short tags (``!Ref``, ``!If``...), which a
plain YAML loader rejects; ``load_template`` turns them into the equivalent
long form (``{"Ref": ...}``, ``{"Fn::If": [...]}``), so a test can change
parameter defaults and hand the result, as JSON, to ``sam validate`` and
``cfn-lint`` (``cfn-lint --parameters`` does not feed the checks we need, and
``sam validate`` takes no parameter values).

Anything that imports the example dashboard runs in a subprocess: Dash keeps
module-level callbacks in process-global lists, and the pytest process also
hosts the library tests' own apps.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yml"
FRONTEND = REPO / "frontend"
EVENTS = REPO / "events"
FUNCTION = "DashFunction"
RUNTIME_VERSION = "3.13"
SAM_MISSING = "SAM CLI not on PATH (CI puts .venvs/sam/bin there; locally: PATH=.venvs/sam/bin:$PATH)"

# ---------------------------------------------------------------- tools


def sam_executable() -> str | None:
    return shutil.which("sam")


def cfn_lint_executable() -> str | None:
    """cfn-lint from the SAM CLI's environment (it ships with it), else from PATH."""
    sam = sam_executable()
    if sam:
        sibling = Path(sam).with_name("cfn-lint")
        if sibling.exists():
            return str(sibling)
    return shutil.which("cfn-lint")


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for sam: no telemetry, a region for commands that want one."""
    env = dict(os.environ)
    env.update(SAM_CLI_TELEMETRY="0", AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"))
    env.update(extra or {})
    return env


def run(
    cmd: Sequence[str], *, cwd: Path = REPO, timeout: float = 600, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(cmd), cwd=cwd, env=tool_env(env), capture_output=True, text=True, timeout=timeout, check=False
    )


def runtime_python() -> str | None:
    """An interpreter of the Lambda runtime's version (python3.13), or None.

    ``DASH_LAMBDA_TEST_PYTHON`` wins; then ``python3.13`` on PATH if it runs
    (a pyenv shim only runs when PYENV_VERSION selects it); then pyenv's own
    installs, so the test does not depend on how the shell was set up.
    """
    candidates = [
        os.environ.get("DASH_LAMBDA_TEST_PYTHON", ""),
        shutil.which(f"python{RUNTIME_VERSION}") or "",
    ]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        installs = sorted(Path(root, "versions").glob(f"{RUNTIME_VERSION}.*/bin/python{RUNTIME_VERSION}"))
        candidates += [str(p) for p in reversed(installs)]
    probe = f"import sys; assert sys.version_info[:2] == {tuple(map(int, RUNTIME_VERSION.split('.')))}"
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", probe], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


# ---------------------------------------------------------------- template


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]  # PyYAML has no stubs here
    """SafeLoader that understands CloudFormation's short-form intrinsic tags."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)
    assert isinstance(data, dict)
    return data


def with_defaults(template: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """A copy of ``template`` whose parameter defaults are ``values``, as a deploy would pass them."""
    copy: dict[str, Any] = json.loads(json.dumps(template))
    for name, value in values.items():
        assert name in copy["Parameters"], f"no parameter {name}"
        copy["Parameters"][name]["Default"] = value
    return copy


class Deployment:
    """What CloudFormation would make of the template for some parameter values.

    Evaluates the intrinsics this template uses (Ref, Fn::If/Equals/Not/And/Or,
    Condition, Fn::Sub, Fn::GetAtt); resources and pseudo parameters become
    placeholders such as ``<RestApi>`` and ``<AWS::Region>``.
    """

    NO_VALUE = object()

    def __init__(self, template: Mapping[str, Any], values: Mapping[str, str] | None = None) -> None:
        self.template = template
        self.params = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
        self.params.update(values or {})
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.eval(self.template["Conditions"][name]))
        return self._conditions[name]

    @property
    def resources(self) -> dict[str, Any]:
        """Logical id → properties (evaluated) of every resource that would be created."""
        out = {}
        for logical_id, resource in self.template["Resources"].items():
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            out[logical_id] = self.eval(resource.get("Properties", {}))
        return out

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            name: self.eval(output["Value"])
            for name, output in self.template.get("Outputs", {}).items()
            if "Condition" not in output or self.condition(output["Condition"])
        }

    def failed_rules(self) -> list[str]:
        """Names of the template Rules whose assertions these values break."""
        failed = []
        for name, rule in self.template.get("Rules", {}).items():
            if "RuleCondition" in rule and not self.eval(rule["RuleCondition"]):
                continue
            if not all(self.eval(a["Assert"]) for a in rule["Assertions"]):
                failed.append(name)
        return failed

    def eval(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.eval(x) for x in node) if v is not self.NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                return self.eval(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return self.eval(arg[0]) == self.eval(arg[1])
            if key == "Fn::Not":
                return not self.eval(arg[0])
            if key == "Fn::And":
                return all(self.eval(a) for a in arg)
            if key == "Fn::Or":
                return any(self.eval(a) for a in arg)
            if key == "Fn::GetAtt":
                return f"<{'.'.join(arg)}>"
            if key == "Fn::Sub":
                return self._sub(arg)
        return {k: v for k, v in ((k, self.eval(v)) for k, v in node.items()) if v is not self.NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return self.NO_VALUE
        if name in self.params:
            return self.params[name]
        return f"<{name}>"

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        values = {k: self.eval(v) for k, v in variables.items()}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(values.get(m[1]) or self._ref(m[1])), text)


# ---------------------------------------------------------------- local S3


@contextlib.contextmanager
def local_s3(objects: Mapping[str, bytes], bucket: str = "dash-data") -> Iterator[dict[str, str]]:
    """moto's standalone S3 server on 127.0.0.1 holding ``objects`` in ``bucket``.

    Yields the environment a process needs to reach it with boto3 (endpoint,
    dummy credentials, region), plus ``BUCKET``; nothing leaves localhost.
    """
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "BUCKET": bucket,
    }
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=env["AWS_ENDPOINT_URL_S3"],
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=bucket)
        for key, body in objects.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        yield env
    finally:
        server.stop()


# ---------------------------------------------------------------- handler driver

#: Runs in the child: put the code directory first on sys.path (as Lambda does
#: with /var/task), import ``app``, time the import (the init phase), feed
#: every event from stdin to ``app.lambda_handler`` and print the results.
DRIVER = r"""
import json, sys, time
code_dir, extra = sys.argv[1], sys.argv[2:]
sys.path[:0] = [code_dir]
sys.path.extend(extra)
events = json.load(sys.stdin)

class Context:
    function_name = "dash-lambda-example"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:dash-lambda-example"
    def __init__(self, n):
        self.aws_request_id = f"req-{n:04d}"
    def get_remaining_time_in_millis(self):
        return 29000

started = time.perf_counter()
import app
init_seconds = time.perf_counter() - started
import dash, dash_lambda
responses = [app.lambda_handler(event, Context(n)) for n, event in enumerate(events)]
json.dump({
    "init_seconds": init_seconds,
    "python": list(sys.version_info[:2]),
    "modules": {m.__name__: m.__file__ for m in (app, dash, dash_lambda)},
    "responses": responses,
}, sys.stdout)
"""


def run_handler(
    python: str,
    code_dir: Path,
    events: Sequence[Mapping[str, Any]],
    *,
    env: Mapping[str, str] | None = None,
    isolated: bool = False,
    extra_paths: Sequence[str] = (),
    timeout: float = 180,
) -> dict[str, Any]:
    """Invoke ``code_dir/app.py``'s handler with ``events`` in a fresh ``python``.

    ``isolated`` adds ``-I -S``: no site-packages, no user paths, so
    every import must come from ``code_dir`` (then ``extra_paths``), as in a
    Lambda sandbox, where the runtime adds only boto3 after the package.
    """
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("DASH_LAMBDA_", "DATA_", "AWS_"))}
    child_env.update(env or {})
    # -B: /var/task is read-only on Lambda, so no bytecode is cached between cold starts.
    flags = ["-I", "-S", "-B"] if isolated else ["-B"]
    proc = subprocess.run(
        [python, *flags, "-c", DRIVER, str(code_dir), *extra_paths],
        input=json.dumps(list(events)),
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"handler process failed:\n{proc.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    result["stderr"] = proc.stderr
    return result


def venv_site_packages() -> str:
    """The test environment's site-packages: stands in for /var/runtime (boto3)."""
    return next(p for p in sys.path if p.endswith("site-packages"))


def population_csv(rows: Mapping[str, Sequence[tuple[int, int]]]) -> bytes:
    lines = ["country,year,pop"] + [f"{c},{y},{p}" for c, series in rows.items() for y, p in series]
    return ("\n".join(lines) + "\n").encode()
