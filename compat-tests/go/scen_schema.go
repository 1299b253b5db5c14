package main

// Schema registry: producers and consumers with schemas, compatibility under the default FULL strategy, and the
// admin API (PROTOCOL.md §2.8). Go's consumer decodes a message with the schema of the message's version, which it
// fetches with GET_SCHEMA (schemaInfoCache), so the round trips here exercise that command too.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
)

func init() {
	register("schema-record-roundtrip", 0, schemaRecordRoundtrip)
	register("schema-compatible-evolution", 0, schemaCompatibleEvolution)
	register("schema-incompatible-refused", 0, schemaIncompatibleRefused)
	register("schema-primitive-mismatch-refused", 0, schemaPrimitiveMismatchRefused)
	register("schema-subscribe-checked", 0, schemaSubscribeChecked)
	register("schema-namespace-policies", 0, schemaNamespacePolicies)
}

const schemaUserV1 = `{"type":"record","name":"SchemaUser","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}`

// schemaUserV2 adds a nullable field with a default: compatible under FULL.
const schemaUserV2 = `{"type":"record","name":"SchemaUser","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},` +
	`{"name":"email","type":["null","string"],"default":null}]}`

// schemaUserBad adds a field without a default: old data cannot be read with it, so FULL refuses it.
const schemaUserBad = `{"type":"record","name":"SchemaUser","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},` +
	`{"name":"city","type":"string"}]}`

type schemaUser struct {
	Name  string  `avro:"name"`
	Age   int32   `avro:"age"`
	Email *string `avro:"email"`
}

type schemaUserV1Value struct {
	Name string `avro:"name"`
	Age  int32  `avro:"age"`
}

// schemaPath is /admin/v2/schemas/{tenant}/{ns}/{topic}/<suffix> for a persistent://tenant/ns/topic name.
func schemaPath(t, suffix string) string {
	return "/admin/v2/schemas/" + strings.SplitN(t, "://", 2)[1] + "/" + suffix
}

// schemaAdmin makes an admin call and returns its status and parsed JSON body (nil when empty or not JSON).
func schemaAdmin(method, path, body string) (int, map[string]any) {
	var payload []byte
	if body != "" {
		payload = []byte(body)
	}
	status, answer, err := httpDo(method, adminURL+path, payload, "application/json", secs(30))
	ok(err, method+" "+path)
	var parsed map[string]any
	_ = json.Unmarshal(answer, &parsed)
	return status, parsed
}

// schemaRefused says whether creating the producer failed with IncompatibleSchema; any other outcome but success fails.
func schemaRefused(err error, what string) bool {
	if err == nil {
		return false
	}
	check(strings.Contains(err.Error(), "IncompatibleSchema"), "%s: expected IncompatibleSchema, got %v", what, err)
	return true
}

// schemaRecordRoundtrip: ServerCnx.handleProducer registers the schema; SchemasResourceBase.convertToSchemaResponse.
func schemaRecordRoundtrip(x *X) {
	cl := x.client()
	t := topic("schema-roundtrip")
	schema := pulsar.NewAvroSchema(schemaUserV1, nil)
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "s", Schema: schema,
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	p := producer(cl, pulsar.ProducerOptions{Topic: t, Schema: schema})
	for i := 0; i < 3; i++ {
		send(p, &pulsar.ProducerMessage{Value: &schemaUserV1Value{Name: "user-" + string(rune('0'+i)), Age: int32(20 + i)}})
	}
	got := drain(c, 3, secs(10), true)
	check(len(got) == 3, "received %d of 3", len(got))
	for i, m := range got {
		var u schemaUserV1Value
		ok(m.GetSchemaValue(&u), "decode message")
		check(u.Name == "user-"+string(rune('0'+i)) && u.Age == int32(20+i), "message %d decoded as %+v", i, u)
	}
	status, body := schemaAdmin("GET", schemaPath(t, "schema"), "")
	check(status == http.StatusOK, "GET schema: HTTP %d %v", status, body)
	check(body["version"] == float64(0) && body["type"] == "AVRO", "GET schema: %v", body)
	var sent, stored any
	ok(json.Unmarshal([]byte(schemaUserV1), &sent), "parse definition")
	ok(json.Unmarshal([]byte(body["data"].(string)), &stored), "parse stored definition")
	check(jsonEqual(sent, stored), "stored definition %v", body["data"])
	plain := topic("schema-none")
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: plain}).Close)
	status, body = schemaAdmin("GET", schemaPath(plain, "schema"), "")
	check(status == http.StatusNotFound && body["reason"] == "Schema not found", "GET schema of a schema-less topic: HTTP %d %v", status, body)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// schemaCompatibleEvolution: SchemaRegistryServiceImpl.putSchemaIfAbsent adds a FULL-compatible schema as the next version.
func schemaCompatibleEvolution(x *X) {
	cl := x.client()
	t := topic("schema-evolve")
	p1 := producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewAvroSchema(schemaUserV1, nil)})
	// Subscribed after the producer: on an idle topic the consumer's schema would become version 0.
	c := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "s", Schema: pulsar.NewAvroSchema(schemaUserV2, nil),
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	send(p1, &pulsar.ProducerMessage{Value: &schemaUserV1Value{Name: "a", Age: 1}})
	email := "b@example.com"
	p2 := producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewAvroSchema(schemaUserV2, nil)})
	send(p2, &pulsar.ProducerMessage{Value: &schemaUser{Name: "b", Age: 2, Email: &email}})
	// The first schema again: found as version 0, not added.
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewAvroSchema(schemaUserV1, nil)}).Close)
	got := drain(c, 2, secs(10), true)
	check(len(got) == 2, "received %d of 2", len(got))
	for i, m := range got {
		v := m.SchemaVersion()
		check(len(v) == 8 && binary.BigEndian.Uint64(v) == uint64(i), "message %d schema version %x", i, v)
		var u schemaUser
		ok(m.GetSchemaValue(&u), "decode message")
		check(u.Name == []string{"a", "b"}[i], "message %d decoded as %+v", i, u)
	}
	status, body := schemaAdmin("GET", schemaPath(t, "schema"), "")
	check(status == http.StatusOK && body["version"] == float64(1), "latest schema: HTTP %d %v", status, body)
	status, body = schemaAdmin("GET", schemaPath(t, "schemas"), "")
	versions, _ := body["getSchemaResponses"].([]any)
	check(status == http.StatusOK && len(versions) == 2, "GET schemas: HTTP %d %v", status, body)
}

// schemaIncompatibleRefused: AvroSchemaBasedCompatibilityCheck under FULL; ServerCnx.tryAddSchema lets a schema-less producer in.
func schemaIncompatibleRefused(x *X) {
	cl := x.client()
	t := topic("schema-incompatible")
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewAvroSchema(schemaUserV1, nil)}).Close)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewAvroSchema(schemaUserBad, nil)})
	if err == nil {
		p.Close()
	}
	check(schemaRefused(err, "incompatible producer"), "a producer with an incompatible schema was created")
	status, body := schemaAdmin("GET", schemaPath(t, "schema"), "")
	check(status == http.StatusOK && body["version"] == float64(0), "latest schema after the refusal: HTTP %d %v", status, body)
	plain := producer(cl, pulsar.ProducerOptions{Topic: t})
	send(plain, &pulsar.ProducerMessage{Payload: []byte("raw bytes")})
	bounded(secs(15), "close producer", plain.Close)
}

// schemaPrimitiveMismatchRefused: SchemaRegistryServiceImpl.checkCompatible refuses another type.
func schemaPrimitiveMismatchRefused(x *X) {
	cl := x.client()
	t := topic("schema-primitive")
	status, body := schemaAdmin("POST", schemaPath(t, "schema"), `{"type":"INT32","schema":"","properties":{}}`)
	check(status == http.StatusOK && jsonEqual(body, map[string]any{"version": map[string]any{"version": 0}}), "POST INT32 schema: HTTP %d %v", status, body)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewStringSchema(nil)})
	if err == nil {
		p.Close()
	}
	check(schemaRefused(err, "STRING producer"), "a STRING producer was created on an INT32 topic")
	ints := producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewInt32Schema(nil)})
	_, err = ints.Send(context.Background(), &pulsar.ProducerMessage{Value: int32(7)})
	ok(err, "send an INT32")
	bounded(secs(15), "close producer", ints.Close)
	status, body = schemaAdmin("POST", schemaPath(t, "compatibility"), `{"type":"STRING","schema":"","properties":{}}`)
	check(status == http.StatusInternalServerError, "compatibility of STRING: HTTP %d %v", status, body)
	status, body = schemaAdmin("POST", schemaPath(t, "compatibility"), `{"type":"INT32","schema":"","properties":{}}`)
	check(status == http.StatusAccepted && body["compatibility"] == true && body["schemaCompatibilityStrategy"] == "FULL",
		"compatibility of INT32: HTTP %d %v", status, body)
}

// schemaSubscribeChecked: PersistentTopic.addSchemaIfIdleOrCheckCompatible.
func schemaSubscribeChecked(x *X) {
	cl := x.client()
	t := topic("schema-subscribe")
	first := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "first", Schema: pulsar.NewAvroSchema(schemaUserV1, nil)})
	bounded(secs(15), "close consumer", first.Close)
	status, body := schemaAdmin("GET", schemaPath(t, "schema"), "")
	check(status == http.StatusOK && body["version"] == float64(0) && body["type"] == "AVRO",
		"schema registered by the first consumer: HTTP %d %v", status, body)
	c, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: t, SubscriptionName: "second", Schema: pulsar.NewStringSchema(nil)})
	if err == nil {
		c.Close()
	}
	check(schemaRefused(err, "STRING consumer"), "a STRING consumer subscribed to an AVRO topic")
	third := subscribe(cl, pulsar.ConsumerOptions{Topic: t, SubscriptionName: "third", Schema: pulsar.NewAvroSchema(schemaUserV1, nil)})
	bounded(secs(15), "close consumer", third.Close)
}

// schemaAdminRaw makes an admin call and returns its status and trimmed body text.
func schemaAdminRaw(method, path, body string) (int, string) {
	var payload []byte
	if body != "" {
		payload = []byte(body)
	}
	status, answer, err := httpDo(method, adminURL+path, payload, "application/json", secs(30))
	ok(err, method+" "+path)
	return status, strings.TrimSpace(string(answer))
}

// schemaRefusedSoon retries creating a producer until it is refused with IncompatibleSchema: Pulsar hands namespace
// policies to loaded topics asynchronously.
func schemaRefusedSoon(cl pulsar.Client, opts pulsar.ProducerOptions) bool {
	deadline := time.Now().Add(secs(10))
	for {
		p, err := cl.CreateProducer(opts)
		if err == nil {
			p.Close()
		} else if schemaRefused(err, "producer on "+opts.Topic) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// schemaNamespacePolicies: Namespaces isAllowAutoUpdateSchema / schemaValidationEnforced; AbstractTopic.addSchema,
// ServerCnx.tryAddSchema.
func schemaNamespacePolicies(x *X) {
	ns := fmt.Sprintf("public/compat-schema-policy-%s-go", runID)
	status, body := schemaAdminRaw("PUT", "/admin/v2/namespaces/"+ns, "")
	check(status == http.StatusNoContent || status == http.StatusConflict, "create namespace: HTTP %d %s", status, body)
	base := "/admin/v2/namespaces/" + ns
	expect := func(path, want string) {
		status, body := schemaAdminRaw("GET", base+path, "")
		check(status == http.StatusOK && body == want, "GET %s: HTTP %d %s, want %s", path, status, body, want)
	}
	expect("/isAllowAutoUpdateSchema", "true")
	expect("/schemaValidationEnforced", "false")
	cl := x.client()
	t := "persistent://" + ns + "/with-schema"
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewStringSchema(nil)}).Close)
	status, body = schemaAdminRaw("POST", base+"/isAllowAutoUpdateSchema", "false")
	check(status == http.StatusNoContent, "disable auto update: HTTP %d %s", status, body)
	status, body = schemaAdminRaw("POST", base+"/schemaValidationEnforced", "true")
	check(status == http.StatusNoContent, "enforce validation: HTTP %d %s", status, body)
	expect("/isAllowAutoUpdateSchema", "false")
	expect("/schemaValidationEnforced", "true")
	check(schemaRefusedSoon(cl, pulsar.ProducerOptions{Topic: t}), "a producer without a schema was accepted on a topic with one")
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: t, Schema: pulsar.NewStringSchema(nil)}).Close)
	check(schemaRefusedSoon(cl, pulsar.ProducerOptions{Topic: "persistent://" + ns + "/new-topic", Schema: pulsar.NewStringSchema(nil)}),
		"a new schema was registered with auto update disabled")
	bounded(secs(15), "close producer", producer(cl, pulsar.ProducerOptions{Topic: "persistent://" + ns + "/schema-less"}).Close)
}
