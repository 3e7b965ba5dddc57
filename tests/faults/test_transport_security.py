"""Transport security: HTTPS certificates are verified, SSH host keys are learned once and then
enforced, and neither is ever downgraded silently.

TLS runs against a local HTTPS server whose certificate a private CA signed (made here with
`cryptography`); SSH against lab switches, in this process (fast) and as a real lab process
restarted with a new host key.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncssh
import click
import paramiko
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from labsupport import LabLoop

from provision.cli.connect import INSECURE_WARNING, connector
from provision.cli.hostkey import command as hostkey_command
from provision.cli.main import ProvisionGroup
from provision.cli.options import transport_options
from provision.drivers.base import Target
from provision.drivers.connect import Connector, learn_host_key
from provision.drivers.device_http import DeviceHttp
from provision.drivers.http import HttpClient, HttpError, endpoint
from provision.drivers.platforms.mediamtx import MediaMtxPlatform
from provision.drivers.switch import SwitchDriver, SwitchError
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.inventory.model import Switch
from provision.inventory.selectors import Selection
from provision.lab import switch as lab_switch
from provision.lab.connector import LabConnector
from provision.lab.faults import Faults
from provision.lab.process import start_lab, stop_lab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
INVENTORY = load_inventory(EXAMPLE)
CITY = INVENTORY.city
SCHOOL = next(s for s in INVENTORY.schools if s.id == "dl-xg-k003")  # ruijie_os, smallest
INFO = {"model": "LED-1", "serial": "S1", "firmware": "1.0"}
PASSWORD = "S3NT1NEL-transport"

# --- TLS -----------------------------------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, Any] | None = None
) -> x509.Certificate:
    """A CA certificate (issuer None: self-signed) or a server certificate for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer[0] if issuer else subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class TlsServer:
    port: int
    ca_bundle: Path  # the CA that signed the server's certificate
    other_ca: Path  # a CA that did not
    requests: list[str] = field(default_factory=list)

    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """An HTTPS device API (/api/info and MediaMTX's path list) with a private CA's cert."""
    tmp = tmp_path_factory.mktemp("tls")
    ca_key, server_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("provision test CA", ca_key)
    (tmp / "ca.pem").write_bytes(_pem(ca))
    (tmp / "other-ca.pem").write_bytes(_pem(_cert("someone else's CA", other_key)))
    (tmp / "server.pem").write_bytes(
        _pem(_cert("device", server_key, ("provision test CA", ca_key)))
    )
    (tmp / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen: list[str] = []
    answers = {"/api/info": INFO, "/v3/config/paths/list": {"items": [], "pageCount": 0}}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps(answers.get(self.path.split("?")[0], {})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TlsServer(server.server_address[1], tmp / "ca.pem", tmp / "other-ca.pem", seen)
    finally:
        server.shutdown()
        server.server_close()


def _info(tls: TlsServer, conn: Connector) -> Any:
    client = HttpClient(
        "dl-xg-k003/gate-led",
        endpoint(conn, "127.0.0.1", tls.port, "https"),
        timeout=5,
        auth=("admin", PASSWORD),
    )
    try:
        return client.json("GET", "/api/info", "read identity")
    finally:
        client.close()


def test_https_is_verified_by_default_and_an_untrusted_certificate_fails_clearly(
    tls: TlsServer,
) -> None:
    before = len(tls.requests)
    with pytest.raises(HttpError) as caught:
        _info(tls, Connector())
    message = str(caught.value)
    assert message.startswith("dl-xg-k003/gate-led: read identity failed: TLS certificate of ")
    assert "is not trusted" in message and "checked against the default CAs" in message
    assert "--ca-bundle FILE" in message
    assert len(tls.requests) == before  # refused in the handshake: no request, no password sent


def test_a_ca_bundle_that_did_not_sign_it_is_named_in_the_error(tls: TlsServer) -> None:
    with pytest.raises(HttpError, match=f"checked against the CAs in {tls.other_ca}"):
        _info(tls, Connector(verify=str(tls.other_ca)))


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_the_ca_bundle_or_insecure_lets_the_request_through(tls: TlsServer) -> None:
    assert _info(tls, Connector(verify=str(tls.ca_bundle))) == INFO
    assert _info(tls, Connector(verify=False)) == INFO


def test_the_camera_transport_verifies_tls_as_the_connector_says(tls: TlsServer) -> None:
    """drivers/device_http.py (ISAPI, Dahua, AX PRO) checks certificates like HttpClient."""

    def read(conn: Connector) -> bytes:
        base = endpoint(conn, "127.0.0.1", tls.port, "https")
        http = DeviceHttp("dl-xg-k003/cam", base, timeout=5, username="admin", password=PASSWORD)
        try:
            return http.request("GET", "/api/info", "read identity").body
        finally:
            http.close()

    before = len(tls.requests)
    with pytest.raises(HttpError, match=r"checked against the default CAs.*--ca-bundle FILE"):
        read(Connector())
    with pytest.raises(HttpError, match=f"checked against the CAs in {tls.other_ca}"):
        read(Connector(verify=str(tls.other_ca)))
    assert len(tls.requests) == before  # refused in the handshake: nothing sent
    assert json.loads(read(Connector(verify=str(tls.ca_bundle)))) == INFO
    assert json.loads(read(Connector(verify=False))) == INFO


def test_platform_clients_built_by_other_drivers_inherit_the_connectors_tls_setting(
    tls: TlsServer,
) -> None:
    """The MediaMTX driver builds its own client from the endpoint: the setting travels with it."""
    assert CITY is not None
    spec = replace(CITY.precincts[SCHOOL.precinct].video_platform, api=tls.url())
    assert spec.kind == "mediamtx"
    with pytest.raises(HttpError, match="is not trusted"):
        MediaMtxPlatform(spec, Connector(), "renminguangchang/platform").list_proxies()
    trusted = MediaMtxPlatform(spec, Connector(verify=str(tls.ca_bundle)), "p")
    assert trusted.list_proxies() == {}


def _probe_cli() -> click.Group:
    """A command wired as plan/apply/verify are: `@transport_options` + `connector()`."""

    @click.group(cls=ProvisionGroup)
    def cli() -> None:
        pass

    @cli.command("probe")
    @click.argument("port", type=int)
    @transport_options
    def probe(port: int) -> None:
        conn = connector(False, None, 5.0)
        client = HttpClient("probe", endpoint(conn, "127.0.0.1", port, "https"), timeout=5)
        click.echo(json.dumps(client.json("GET", "/api/info", "read identity")))

    return cli


def test_cli_options_reach_the_connector_and_insecure_is_loud(tls: TlsServer) -> None:
    cli, runner, port = _probe_cli(), CliRunner(), str(tls.port)

    default = runner.invoke(cli, ["probe", port])
    assert default.exit_code == 1 and "is not trusted" in default.stderr
    assert "--ca-bundle FILE" in default.stderr

    bundled = runner.invoke(cli, ["probe", port, "--ca-bundle", str(tls.ca_bundle)])
    assert bundled.exit_code == 0 and json.loads(bundled.stdout) == INFO
    assert "warning" not in bundled.stderr

    from_env = runner.invoke(cli, ["probe", port], env={"PROVISION_CA_BUNDLE": str(tls.ca_bundle)})
    assert from_env.exit_code == 0 and json.loads(from_env.stdout) == INFO

    for _ in range(2):  # every run, not once per machine
        insecure = runner.invoke(cli, ["probe", port, "--insecure"])
        assert insecure.exit_code == 0 and json.loads(insecure.stdout) == INFO
        assert INSECURE_WARNING in insecure.stderr

    both = runner.invoke(cli, ["probe", port, "--insecure", "--ca-bundle", str(tls.ca_bundle)])
    assert both.exit_code == 2 and "contradict" in both.stderr


# --- SSH host keys: in this process ----------------------------------------------------------


@dataclass(frozen=True)
class RoutedConnector(Connector):
    """The field connector with the switch's SSH address routed to its simulator."""

    route: tuple[str, int] = ("127.0.0.1", 0)

    def address(self, host: str, port: int) -> tuple[str, int]:
        return self.route


@pytest.fixture(scope="module")
def sim() -> Iterator[lab_switch.Switch]:
    spec = SCHOOL.network.switches[0]
    assert spec.credentials is not None
    lab = LabLoop()
    switch = lab_switch.Switch(
        "k003-core",
        "127.0.0.1",
        faults=Faults(),
        platform=spec.platform,
        ssh_port=0,
        username=spec.credentials.username,
        password=PASSWORD,
    )
    lab.run(switch.start())
    try:
        yield switch
    finally:
        lab.run(switch.stop())
        lab.close()


def _driver(sim: lab_switch.Switch, known_hosts: Path) -> SwitchDriver:
    conn = RoutedConnector(
        timeout=5,
        env={"PROVISION_NETWORK_PASSWORD": PASSWORD},
        known_hosts=str(known_hosts),
        route=("127.0.0.1", sim.port),
    )
    switch: Switch = SCHOOL.network.switches[0]
    return SwitchDriver(Target(CITY, SCHOOL, switch, conn))


def _identity(sim: lab_switch.Switch, known_hosts: Path) -> dict[str, Any]:
    driver = _driver(sim, known_hosts)
    try:
        return driver.identity()
    finally:
        driver.close()


def _other_key(algorithm: str) -> str:
    """'TYPE BASE64' of a fresh key, one the lab switch does not have."""
    public = asyncssh.generate_private_key(algorithm).export_public_key("openssh").decode()
    return " ".join(public.split()[:2])


def _sim_key_line(sim: lab_switch.Switch) -> str:
    key = paramiko.ECDSAKey(data=lab_switch.host_key().public_data)
    return f"[127.0.0.1]:{sim.port} {key.get_name()} {key.get_base64()}"


def test_first_contact_records_the_switch_key_and_later_contacts_use_it(
    sim: lab_switch.Switch, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    assert _identity(sim, known_hosts)["model"]
    assert known_hosts.read_text().splitlines() == [_sim_key_line(sim)]
    logins = sim.logins
    assert _identity(sim, known_hosts)["model"]  # enforced and matching: logs in again
    assert sim.logins == logins + 1
    assert known_hosts.read_text().splitlines() == [_sim_key_line(sim)]


def test_a_damaged_known_hosts_line_is_named_not_skipped(
    sim: lab_switch.Switch, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sim.port} ecdsa-sha2-nistp256 AAAAnot-base64\n")
    with pytest.raises(DeviceError, match=r"is not a known_hosts line .*: correct or delete it"):
        _identity(sim, known_hosts)
    assert "AAAAnot-base64" in known_hosts.read_text()  # never rewritten behind our back


def test_first_contacts_at_once_record_one_key(sim: lab_switch.Switch, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    threads = [
        threading.Thread(target=learn_host_key, args=(known_hosts, "127.0.0.1", sim.port, 5))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert known_hosts.read_text().splitlines() == [_sim_key_line(sim)]


@pytest.mark.parametrize("old_type", ["ecdsa-sha2-nistp256", "ssh-ed25519"])
def test_a_changed_key_is_refused_before_the_password_and_forget_accepts_the_new_one(
    sim: lab_switch.Switch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old_type: str
) -> None:
    """What the address offered before: another key of the same type, or of another type
    (then paramiko asks for that type only, and the switch has none to offer)."""
    known_hosts = tmp_path / "known_hosts"
    address = f"[127.0.0.1]:{sim.port}"
    known_hosts.write_text(f"# ours\n{address} {_other_key(old_type)}\n")
    passwords: list[str] = []
    check = lab_switch._Login.validate_password
    monkeypatch.setattr(
        lab_switch._Login,
        "validate_password",
        lambda self, user, password: passwords.append(password) or check(self, user, password),
    )
    with pytest.raises(SwitchError) as caught:
        _identity(sim, known_hosts)
    message = str(caught.value)
    assert message.startswith("dl-xg-k003/core: the SSH host key of ")
    assert f"recorded in {known_hosts} line 2" in message
    if old_type == "ecdsa-sha2-nistp256":  # the client saw the new key: it is shown
        assert paramiko.ECDSAKey(data=lab_switch.host_key().public_data).fingerprint in message
    forget = f"provision hostkey forget '{address}' --known-hosts {known_hosts}"
    assert f"`{forget}`" in message
    assert passwords == [] and PASSWORD not in message

    accepted = CliRunner().invoke(
        hostkey_command, ["forget", address, "--known-hosts", str(known_hosts)]
    )
    assert accepted.exit_code == 0, accepted.output
    assert known_hosts.read_text() == "# ours\n"
    assert _identity(sim, known_hosts)["model"]
    assert known_hosts.read_text().splitlines() == ["# ours", _sim_key_line(sim)]
    again = CliRunner().invoke(
        hostkey_command, ["forget", "127.0.0.9", "--known-hosts", str(known_hosts)]
    )
    assert again.exit_code != 0


# --- SSH host keys: a real lab process, restarted ----------------------------------------------


def _lab_identity(known_hosts: Path | None = None) -> dict[str, Any]:
    """The lab switch read over SSH: with the lab's own known_hosts (as `--lab` does) or with
    a persistent file, as the field would keep it."""
    conn = LabConnector(timeout=5, known_hosts=str(known_hosts) if known_hosts else None)
    driver = SwitchDriver(Target(CITY, SCHOOL, SCHOOL.network.switches[0], conn))
    try:
        return driver.identity()
    finally:
        driver.close()


def test_a_restarted_lab_trips_a_persistent_known_hosts_but_not_the_labs_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab_dir = tmp_path / "lab"
    monkeypatch.setenv("PROVISION_LAB_DIR", str(lab_dir))
    field_file, lab_file = tmp_path / "field_known_hosts", lab_dir / "known_hosts"
    selected, selected_args = Selection(schools=(SCHOOL.id,)), ["--school", SCHOOL.id, "--lab"]
    start_lab(str(EXAMPLE), lab_dir, selected)
    try:
        assert _lab_identity()["model"] and _lab_identity(field_file)["model"]
        first = lab_file.read_text().splitlines()
        assert len(first) == 2 and first[0].startswith("# host keys of the lab pid ")
        stop_lab(lab_dir)
        start_lab(str(EXAMPLE), lab_dir, selected)  # a new process: a new host key

        plan = subprocess.run(
            [sys.executable, "-m", "provision", "plan", "-i", str(EXAMPLE), *selected_args],
            capture_output=True,
            text=True,
            env={**os.environ, "PROVISION_LOCK_DIR": str(tmp_path / "locks")},
            cwd=tmp_path,
            timeout=120,
        )
        assert plan.returncode == 0, plan.stdout + plan.stderr
        second = lab_file.read_text().splitlines()
        assert len(second) == 2 and second[0] != first[0] and second[1] != first[1]
        assert second[1].split()[0] == first[1].split()[0]  # same address, new key

        with pytest.raises(SwitchError, match="is not the one recorded in") as caught:
            _lab_identity(field_file)
        assert f"--known-hosts {field_file}" in str(caught.value)
    finally:
        stop_lab(lab_dir)
