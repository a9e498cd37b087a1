"""Services listen with TLS when given a certificate and key; plaintext only on loopback by default."""

import datetime as dt
import ipaddress
import uuid
from dataclasses import replace

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from control.v1 import control_pb2, control_pb2_grpc
from kernel.runtime.service import tls_for
from services.cases.main import build as build_cases
from tests.factories import call_metadata, service_settings


def self_signed(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "tls.crt", folder / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


async def test_tls_listener_serves_tls_and_refuses_plaintext(database_url, bootstrap, tmp_path):
    cert, key = self_signed(tmp_path)
    settings = service_settings(
        "cases", database_url, bootstrap, f"tls{uuid.uuid4().hex[:8]}", tmp_path, tls_cert_file=cert, tls_key_file=key
    )
    host = await build_cases(settings).start()
    try:
        creds = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        async with grpc.aio.secure_channel(f"localhost:{host.port}", creds) as ch:
            got = await control_pb2_grpc.ControlServiceStub(ch).GetClock(
                control_pb2.GetClockRequest(), metadata=call_metadata(settings), timeout=10
            )
            assert got.clock.time_zone == "Asia/Shanghai"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await control_pb2_grpc.ControlServiceStub(ch).GetClock(
                    control_pb2.GetClockRequest(), metadata=call_metadata(settings), timeout=5
                )
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await host.stop()


@pytest.mark.parametrize(
    "host,tls,allow,outcome",
    [
        ("127.0.0.1", False, False, "plaintext"),
        ("localhost", False, False, "plaintext"),
        ("::1", False, False, "plaintext"),
        ("0.0.0.0", False, False, "refused"),
        ("10.1.2.3", False, True, "plaintext"),
        ("0.0.0.0", True, False, "tls"),
    ],
)
def test_plaintext_is_the_loopback_default_only(tmp_path, host, tls, allow, outcome):
    base = service_settings("cases", "postgresql://x", "k:1", "p", tmp_path, grpc_host=host, allow_plaintext=allow)
    if tls:
        base = replace(base, tls_cert_file=tmp_path / "c", tls_key_file=tmp_path / "k")
    if outcome == "refused":
        with pytest.raises(SystemExit, match="TLS_CERT_FILE"):
            tls_for(base)
    else:
        assert (tls_for(base) is not None) == (outcome == "tls")


def test_half_a_tls_configuration_is_refused(tmp_path):
    base = service_settings("cases", "postgresql://x", "k:1", "p", tmp_path, tls_cert_file=tmp_path / "c")
    with pytest.raises(SystemExit, match="both"):
        tls_for(base)
