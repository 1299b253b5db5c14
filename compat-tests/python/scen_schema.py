# Schema registry: producers and consumers with schemas, compatibility under the default FULL strategy, and the
# admin API. Exec'd inside suite.py's namespace: uses its helpers (scenario, topic, check, drain, admin_call, ...).
# The Python client here has no fastavro, so its record schemas are JsonSchema: the definition is still an Avro
# record, and Pulsar checks JSON evolution with the Avro rules (JsonSchemaCompatibilityCheck).
from pulsar.schema import Integer, JsonSchema, Record, String, StringSchema


class SchemaUser(Record):
    name = String()
    age = Integer()


class SchemaUserV2(Record):
    """SchemaUser plus a nullable field with a default: compatible under FULL."""
    name = String()
    age = Integer()
    email = String(required_default=True)


class SchemaUserBad(Record):
    """SchemaUser plus a field without a default: old data cannot be read with it, so FULL refuses it."""
    name = String()
    age = Integer()
    city = String(required=True)


# Avro resolution ignores record names, but the evolved schemas keep the first one's to look like one type.
SchemaUserV2.__name__ = "SchemaUser"
SchemaUserBad.__name__ = "SchemaUser"


def schema_path(t, suffix="schema"):
    """/admin/v2/schemas/{tenant}/{ns}/{topic}/<suffix> for a persistent://tenant/ns/topic name."""
    return f"/admin/v2/schemas/{t.split('://', 1)[1]}/{suffix}"


def schema_refused(create):
    """Runs create() and says whether it failed with IncompatibleSchema."""
    try:
        create()
    except pulsar.IncompatibleSchema:
        return True
    return False


@scenario("schema-record-roundtrip")
def schema_record_roundtrip(cx):
    """ServerCnx.handleProducer registers the producer's schema; SchemasResourceBase.convertToSchemaResponse."""
    cl = cx.client()
    t = topic("schema-roundtrip")
    schema = JsonSchema(SchemaUser)
    c = cl.subscribe(t, "s", schema=schema, initial_position=InitialPosition.Earliest)
    p = cl.create_producer(t, schema=schema)
    for i in range(3):
        p.send(SchemaUser(name=f"user-{i}", age=20 + i))
    got = drain(c, 3, ack=True)
    check([(m.value().name, m.value().age) for m in got] == [(f"user-{i}", 20 + i) for i in range(3)],
          f"decoded {[(m.value().name, m.value().age) for m in got]}")
    status, body = admin_call("GET", schema_path(t))
    check(status == 200, f"GET schema: HTTP {status} {body}")
    check(body.get("version") == 0 and body.get("type") == "JSON", f"GET schema: {body}")
    check(json.loads(body.get("data")) == json.loads(schema.schema_info().schema()), f"definition {body.get('data')!r}")
    check(isinstance(body.get("timestamp"), int) and body.get("properties") == {}, f"GET schema: {body}")
    status, body = admin_call("GET", schema_path(t, "schema/0"))
    check(status == 200 and body.get("version") == 0, f"GET schema/0: HTTP {status} {body}")
    # A topic without a schema: 404 "Schema not found".
    plain = topic("schema-none")
    cl.create_producer(plain).close()
    status, body = admin_call("GET", schema_path(plain))
    check(status == 404 and body == {"reason": "Schema not found"}, f"GET schema of a schema-less topic: HTTP {status} {body}")


@scenario("schema-compatible-evolution")
def schema_compatible_evolution(cx):
    """SchemaRegistryServiceImpl.putSchemaIfAbsent: a FULL-compatible schema becomes the next version."""
    cl = cx.client()
    t = topic("schema-evolve")
    p1 = cl.create_producer(t, schema=JsonSchema(SchemaUser))
    # Subscribed after the producer: on an idle topic the consumer's schema would become version 0.
    c = cl.subscribe(t, "s", schema=JsonSchema(SchemaUserV2), initial_position=InitialPosition.Earliest)
    p1.send(SchemaUser(name="a", age=1))
    p2 = cl.create_producer(t, schema=JsonSchema(SchemaUserV2))
    p2.send(SchemaUserV2(name="b", age=2, email="b@example.com"))
    # The first schema again: found as version 0, not added.
    cl.create_producer(t, schema=JsonSchema(SchemaUser)).close()
    got = drain(c, 2, ack=True)
    check([m.value().name for m in got] == ["a", "b"], f"received {[m.value().name for m in got]}")
    versions = [m.schema_version() for m in got]
    as_bytes = [v if isinstance(v, bytes) else v.encode("latin-1") for v in versions]
    check(as_bytes == [(0).to_bytes(8, "big"), (1).to_bytes(8, "big")], f"schema versions {versions!r}")
    status, body = admin_call("GET", schema_path(t))
    check(status == 200 and body.get("version") == 1, f"latest schema: HTTP {status} {body}")
    check("email" in body.get("data", ""), f"latest definition {body.get('data')!r}")
    status, body = admin_call("GET", schema_path(t, "schemas"))
    check(status == 200 and [s.get("version") for s in body.get("getSchemaResponses", [])] == [0, 1],
          f"GET schemas: HTTP {status} {body}")


@scenario("schema-incompatible-refused")
def schema_incompatible_refused(cx):
    """AvroSchemaBasedCompatibilityCheck under FULL: a field without a default cannot read old data."""
    cl = cx.client()
    t = topic("schema-incompatible")
    cl.create_producer(t, schema=JsonSchema(SchemaUser)).close()
    check(schema_refused(lambda: cl.create_producer(t, schema=JsonSchema(SchemaUserBad))),
          "a producer with an incompatible schema was created")
    status, body = admin_call("GET", schema_path(t))
    check(status == 200 and body.get("version") == 0, f"latest schema after the refusal: HTTP {status} {body}")
    # No schema at all is allowed while schema validation is not enforced (the default).
    p = cl.create_producer(t)
    p.send(b"raw bytes")
    p.close()


@scenario("schema-primitive-mismatch-refused")
def schema_primitive_mismatch_refused(cx):
    """SchemaRegistryServiceImpl.checkCompatible: another type is incompatible whatever the strategy."""
    cl = cx.client()
    t = topic("schema-primitive")
    status, body = admin_call("POST", schema_path(t), {"type": "INT32", "schema": "", "properties": {}})
    check(status == 200 and body == {"version": {"version": 0}}, f"POST INT32 schema: HTTP {status} {body}")
    check(schema_refused(lambda: cl.create_producer(t, schema=StringSchema())), "a STRING producer was created on an INT32 topic")
    status, body = admin_call("POST", schema_path(t, "compatibility"), {"type": "STRING", "schema": "", "properties": {}})
    check(status == 500, f"compatibility of STRING: HTTP {status} {body}")
    status, body = admin_call("POST", schema_path(t, "compatibility"), {"type": "INT32", "schema": "", "properties": {}})
    check(status == 202 and body == {"schemaCompatibilityStrategy": "FULL", "compatibility": True},
          f"compatibility of INT32: HTTP {status} {body}")


@scenario("schema-subscribe-checked")
def schema_subscribe_checked(cx):
    """PersistentTopic.addSchemaIfIdleOrCheckCompatible: an idle topic takes the consumer's schema, else it is checked."""
    cl = cx.client()
    t = topic("schema-subscribe")
    cl.subscribe(t, "first", schema=JsonSchema(SchemaUser)).close()
    status, body = admin_call("GET", schema_path(t))
    check(status == 200 and body.get("version") == 0 and body.get("type") == "JSON",
          f"schema registered by the first consumer: HTTP {status} {body}")
    check(schema_refused(lambda: cl.subscribe(t, "second", schema=StringSchema())),
          "a STRING consumer subscribed to a JSON topic")
    c = cl.subscribe(t, "third", schema=JsonSchema(SchemaUser))
    c.close()


def schema_refused_soon(create, seconds=10):
    """Namespace policies reach loaded topics asynchronously in Pulsar: retries create() until it is refused."""
    deadline = time.time() + wait_s(seconds)
    while True:
        try:
            create()
        except pulsar.IncompatibleSchema:
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.2)


@scenario("schema-namespace-policies")
def schema_namespace_policies(cx):
    """Namespaces isAllowAutoUpdateSchema / schemaValidationEnforced; AbstractTopic.addSchema, ServerCnx.tryAddSchema."""
    ns = f"public/compat-schema-policy-{RUN_ID}-py"
    status, body = admin_call("PUT", f"/admin/v2/namespaces/{ns}")
    check(status in (204, 409), f"creating namespace {ns}: HTTP {status} {body}")
    base = f"/admin/v2/namespaces/{ns}"
    check(admin_call("GET", f"{base}/isAllowAutoUpdateSchema") == (200, True), "isAllowAutoUpdateSchema defaults to true")
    check(admin_call("GET", f"{base}/schemaValidationEnforced") == (200, False), "schemaValidationEnforced defaults to false")
    cl = cx.client()
    t = f"persistent://{ns}/with-schema"
    cl.create_producer(t, schema=StringSchema()).close()
    check(admin_call("POST", f"{base}/isAllowAutoUpdateSchema", False)[0] == 204, "disable auto update")
    check(admin_call("POST", f"{base}/schemaValidationEnforced", True)[0] == 204, "enforce validation")
    check(admin_call("GET", f"{base}/isAllowAutoUpdateSchema") == (200, False), "isAllowAutoUpdateSchema after POST")
    check(admin_call("GET", f"{base}/schemaValidationEnforced") == (200, True), "schemaValidationEnforced after POST")
    check(schema_refused_soon(lambda: cl.create_producer(t).close()), "a producer without a schema was accepted on a topic with one")
    # The registered schema itself is still accepted.
    cl.create_producer(t, schema=StringSchema()).close()
    check(schema_refused_soon(lambda: cl.create_producer(f"persistent://{ns}/new-topic", schema=StringSchema()).close()),
          "a new schema was registered with auto update disabled")
    cl.create_producer(f"persistent://{ns}/schema-less").close()
