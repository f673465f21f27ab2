package xarf

// coreRequired are the fields xarf-core.json requires of every report.
var coreRequired = []string{"xarf_version", "report_id", "timestamp", "reporter", "sender", "source_identifier", "category", "type"}
