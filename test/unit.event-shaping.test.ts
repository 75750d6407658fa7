import should from "should";
import { checkEvent } from "../nodes/lib/client/responses";
import { shapeEvent, splitSections, topicFor } from "../nodes/lib/event/shaping";
import { readEventId } from "../nodes/lib/event/input";

describe("event shaping (pure)", function () {
  describe("splitSections", function () {
    it("copies nested sections and ignores ones that are not objects", function () {
      splitSections({ battery: { capacity_kwh: 5 }, pv: null as never, ev_charger: [1] as never, inverter: { ac_export_limit_kw: 3 } }).should.eql({
        battery: { capacity_kwh: 5 },
        inverter: { ac_export_limit_kw: 3 },
      });
    });

    it("strips the prefix of flat keys for every section", function () {
      splitSections({ pv_tilt: 23, battery_soc: 0.5, ev_charger_phases: 3, inverter_ac_export_limit_kw: 5, heat_pump_min_power_kw: 0.5 }).should.eql({
        pv: { tilt: 23 },
        battery: { soc: 0.5 },
        ev_charger: { phases: 3 },
        inverter: { ac_export_limit_kw: 5 },
        heat_pump: { min_power_kw: 0.5 },
      });
    });

    it("puts the unprefixed storage keys on the battery and leaves other unprefixed keys out", function () {
      splitSections({ capacity_kwh: 1, power_rating_kw: 2, power_rating_import_kwh: 3, power_rating_export_kwh: 4, install_date: "x", colour: "red" }).should.eql({
        battery: { capacity_kwh: 1, power_rating_kw: 2, power_rating_import_kwh: 3, power_rating_export_kwh: 4 },
      });
    });

    it("lets a nested value win over a flat one", function () {
      splitSections({ pv: { tilt: 30 }, pv_tilt: 23, pv_azimuth: 180 }).should.eql({ pv: { tilt: 30, azimuth: 180 } });
    });

    it("does not treat a bare prefix as a key", function () {
      splitSections({ pv_: 1, battery: 7 as never }).should.eql({});
    });

    it("keeps __proto__ keys from JSON as plain data without touching any prototype", function () {
      const properties = JSON.parse('{"battery":{"__proto__":{"polluted":true},"capacity_kwh":5},"pv___proto__":{"polluted":true}}');
      const sections = splitSections(properties);
      should(({} as any).polluted).be.undefined();
      should((sections.battery as any).polluted).be.undefined();
      Object.getPrototypeOf(sections.battery).should.equal(Object.prototype);
      Object.keys(sections.battery!).should.eql(["__proto__", "capacity_kwh"]);
    });
  });

  describe("shapeEvent", function () {
    it("recognises a device by data.object or by a device.* type", function () {
      should(shapeEvent({ id: "evt_1", type: "device.update", data: { id: "dev_1" } }).device).be.ok();
      should(shapeEvent({ id: "evt_1", type: "other.thing", data: { id: "dev_1", object: "device" } }).device).be.ok();
      should(shapeEvent({ id: "evt_1", type: "customer.create", data: { id: "cus_1", object: "customer" } }).device).be.undefined();
    });

    it("copes with data that is missing, null or not an object", function () {
      for (const data of [undefined, null, "text", 5, [1, 2]]) {
        const shaped = shapeEvent({ id: "evt_1", type: "device.update", data });
        shaped.sections.should.eql({});
        shaped.subjectId.should.equal("evt_1");
      }
    });

    it("takes description keys from properties over top-level ones", function () {
      const shaped = shapeEvent({
        id: "evt_1",
        type: "device.update",
        data: { id: "dev_1", object: "device", manufacturer: "Old", properties: { manufacturer: "New", model_name: "M" } },
      });
      shaped.device!.should.eql({ id: "dev_1", object: "device", manufacturer: "New", model_name: "M" });
    });
  });

  describe("topicFor", function () {
    it("keeps MQTT wildcards and separators out of the device part", function () {
      topicFor("dev_1/#+", "pv").should.equal("flatpeak/dev_1___/pv");
      topicFor("dev_abc-1.2", "battery").should.equal("flatpeak/dev_abc-1.2/battery");
    });
  });

  describe("checkEvent", function () {
    it("accepts the asked-for event and rejects anything else", function () {
      checkEvent({ id: "evt_1", type: "device.update" }, "evt_1").should.equal("ok");
      checkEvent({ id: "evt_1", type: "device.update", object: "event" }, "evt_1").should.equal("ok");
      checkEvent({ id: "evt_2", type: "device.update" }, "evt_1").should.equal("wrong-event");
      for (const body of [null, [], "evt_1", { id: "evt_1" }, { id: 1, type: "x" }, { id: "evt_1", type: "" }, { id: "evt_1", type: "x", object: "list" }]) {
        checkEvent(body, "evt_1").should.equal("not-event");
      }
    });
  });

  describe("readEventId", function () {
    it("accepts evt_ with 1 to 64 ASCII letters or digits", function () {
      readEventId("evt_a").should.eql({ ok: true, id: "evt_a" });
      readEventId(`evt_${"Z9".repeat(32)}`).should.eql({ ok: true, id: `evt_${"Z9".repeat(32)}` });
      readEventId(`evt_${"a".repeat(65)}`).ok.should.be.false();
    });

    it("reads an own id only, and never calls a getter", function () {
      let called = false;
      const tricky = Object.defineProperty({}, "id", { get: () => ((called = true), "evt_1"), enumerable: true });
      readEventId(tricky).ok.should.be.false();
      called.should.be.false();
    });
  });
});
