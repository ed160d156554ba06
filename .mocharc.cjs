// The suite's settings. `exit`: once every test has run, mocha ends the process even if a failed test left a
// server or child process behind, so CI reports the failure instead of waiting for its own time limit.
module.exports = {
  timeout: 20000,
  "enable-source-maps": true,
  exit: true,
};
