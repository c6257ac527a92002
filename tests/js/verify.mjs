// Verifies one hookpost delivery the way a receiver would, with the
// Standard Webhooks reference library (npm standardwebhooks).
//   node verify.mjs SECRET BODYFILE ID TIMESTAMP SIGNATURE [raw]
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const [secret, bodyFile, id, ts, sig, format] = process.argv.slice(2);
const body = readFileSync(bodyFile, "utf8");
const wh = format === "raw" ? new Webhook(secret, { format: "raw" }) : new Webhook(secret);
try {
	wh.verify(body, { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig });
	console.log("verified");
} catch (e) {
	console.log("refused: " + e.message);
	process.exit(1);
}
