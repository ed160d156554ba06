import { expect } from "chai";
import { analyseFailure } from "../src/analysis/failure.js";
import { readCorpus } from "./helpers/corpus.js";

describe("traceback parser on the shared CPython corpus", () => {
  for (const c of readCorpus()) {
    it(`${c.case}: ${c.truth.type ?? "no exception"} → ${c.truth.category}`, () => {
      const got = analyseFailure({ code: c.code, stderr: c.stderr, return_code: c.return_code, timed_out: c.timed_out });
      expect(got.error_type, "error_type").to.equal(c.truth.type);
      expect(got.error_category, "error_category").to.equal(c.truth.category);
      if (c.truth.type && c.truth.message !== null) {
        const firstLine = c.truth.message.split("\n")[0];
        expect(got.error_message, "error_message").to.be.a("string");
        expect(got.error_message!.startsWith(firstLine), `message ${JSON.stringify(got.error_message)}`).to.equal(true);
      }
    });
  }
});
