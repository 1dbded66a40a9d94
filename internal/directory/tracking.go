package directory

// How a checkpoint moved between two audits of the same establishment.
const (
	ChangeNew        = "new"        // fails now, did not before (or first audit)
	ChangePersisting = "persisting" // failed before, still fails
	ChangeFixed      = "fixed"      // failed before, passes now (or no longer applies)
)

// Compare marks each checkpoint of cur with its change since prev (nil for the
// first audit). Passing checkpoints that were passing keep an empty change.
func Compare(prev *Evaluation, cur *Evaluation) {
	before := map[string]bool{}
	if prev != nil {
		for _, r := range prev.Checks {
			before[r.ID] = r.Status == Fail
		}
	}
	for i := range cur.Checks {
		r := &cur.Checks[i]
		switch {
		case r.Status == Fail && before[r.ID]:
			r.Change = ChangePersisting
		case r.Status == Fail:
			r.Change = ChangeNew
		case before[r.ID]:
			r.Change = ChangeFixed
		default:
			r.Change = ""
		}
	}
}
