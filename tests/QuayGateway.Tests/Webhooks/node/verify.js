// Reads {secret, payload, headers} as JSON on stdin and verifies it with the reference library.
// Prints "verified" and exits 0, or prints the library's error and exits 1.
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const { secret, payload, headers } = JSON.parse(input);
  try {
    new Webhook(secret).verify(payload, headers);
    console.log("verified");
  } catch (e) {
    console.log(`refused: ${e.message}`);
    process.exit(1);
  }
});
