// Bump whenever a change to src/analysis changes what it derives: snapshots made by another analyzer
// version are not loaded (the server replays the whole log instead), so no read model mixes two analyzers.
export const ANALYZER_VERSION = 4;
