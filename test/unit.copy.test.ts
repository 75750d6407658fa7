import fc from "fast-check";
import should from "should";
import { copyData } from "../nodes/lib/copy";
import { SAMPLE_EVENTS } from "../simulator/sample-events";

/** Node-RED's general deep copy (lodash), which copyData must match for event data. */
const redUtil = require(require.resolve("@node-red/util", { paths: [require.resolve("node-red")] })).util as {
  cloneMessage<T>(this: void, msg: T): T;
};
const general = (value: unknown): unknown => redUtil.cloneMessage({ value }).value;

/** True when `copy` and `source` share no object at any depth. */
function sharesNothing(source: unknown, copy: unknown): boolean {
  if (typeof source !== "object" || source === null) return true;
  if (source === copy) return false;
  return Object.keys(source).every((key) => sharesNothing((source as any)[key], (copy as any)[key]));
}

describe("copyData", function () {
  it("copies every sample event like Node-RED's deep copy, sharing nothing", function () {
    for (const event of SAMPLE_EVENTS) {
      const copy = copyData(event, general);
      should(copy).eql(general(event));
      JSON.stringify(copy).should.equal(JSON.stringify(event));
      sharesNothing(event, copy).should.be.true();
    }
  });

  it("matches Node-RED's deep copy on random JSON, key order included", function () {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = copyData(value, general);
        should(copy).eql(general(value));
        JSON.stringify(copy).should.equal(JSON.stringify(value));
        sharesNothing(value, copy).should.be.true();
      }),
      { seed: 20261125, numRuns: 2000 },
    );
  });

  it("keeps __proto__ from JSON an own key and touches no prototype", function () {
    const source = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":[{"__proto__":1}]}}');
    const copy = copyData(source, general);
    Object.keys(copy.a).should.eql(["__proto__", "b"]);
    Object.getPrototypeOf(copy.a).should.equal(Object.prototype);
    should(copy.a.polluted).be.undefined();
    Object.keys(Object.prototype).should.be.empty();
  });

  it("hands values that are not plain data to the general copy", function () {
    const date = new Date(0);
    const buffer = Buffer.from("x");
    const handed: unknown[] = [];
    const copy = copyData({ date, list: [buffer], nested: { [Symbol("s")]: 1 } }, (value) => {
      handed.push(value);
      return general(value);
    });
    handed.length.should.equal(3);
    copy.date.should.not.equal(date);
    copy.date.getTime().should.equal(0);
    copy.list[0].should.not.equal(buffer);
  });
});
