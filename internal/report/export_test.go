package report

// SetBulkMax lowers how many reports one bulk action of s changes.
func SetBulkMax(s *Service, n int) { s.bulkMax = n }
