"""Security posture reports: the posture analyser run during scans, the self-contained HTML report, the diff of two
scans, and SARIF for CI. Pure functions from scan data to text; no cluster I/O."""
