package approval

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/stewardml/steward/internal/ml/eval"
)

// Compared names the rows the candidate and the champion were both scored
// on for a request, and what each made of them. The metric maps of a
// request that has it are computed on exactly these rows.
type Compared struct {
	// Source names the data in words: which dataset and which of its rows.
	Source string `json:"source"`
	// Dataset is the digest of the dataset the rows come from.
	Dataset string `json:"dataset,omitempty"`
	// Rows and Positives count the compared rows and those of class 1.
	Rows      int `json:"rows"`
	Positives int `json:"positives"`
	// Metric is the selection metric the evaluation compared on.
	Metric string `json:"metric,omitempty"`
	// Note says which rows were left out of the hold-out, if any.
	Note string `json:"note,omitempty"`
	// Candidate and Champion are the confusion matrices at each version's
	// own threshold; Champion is nil without a champion.
	Candidate eval.Confusion  `json:"candidate"`
	Champion  *eval.Confusion `json:"champion,omitempty"`
}

// MetricLabel is the name people read for a metric id ("Hold-out" and the
// like are for the caller to add).
func MetricLabel(name string) string {
	switch name {
	case eval.Accuracy:
		return "Accuracy"
	case eval.Precision:
		return "Precision"
	case eval.Recall:
		return "Recall (sensitivity)"
	case eval.F1:
		return "F1"
	case eval.ROCAUC:
		return "ROC AUC"
	case eval.PRAUC:
		return "PR AUC"
	case eval.LogLoss:
		return "Log loss"
	case eval.Brier:
		return "Brier score"
	}
	return name
}

// BriefRow is one metric of a decision brief.
type BriefRow struct {
	Name, Label          string
	Candidate, Champion  float64
	HasChampion          bool
	Diff                 float64 // candidate minus champion
	Better, Worse        bool    // the candidate's side, knowing the metric's direction
	LowerIsBetter        bool
	Selection            bool
	CandidateCI          *Interval
	ChampionCI           *Interval
	DiffText, Comparison string
}

// Interval is a 95 % confidence interval.
type Interval struct{ Lo, Hi float64 }

// String writes the interval as "0.712–0.861".
func (i Interval) String() string { return fmt.Sprintf("%.3f–%.3f", i.Lo, i.Hi) }

// Matrix is one version's confusion matrix with its sensitivity and
// specificity.
type Matrix struct {
	Who                      string
	TP, FP, TN, FN           int
	Sensitivity, Specificity float64
	SensitivityCI            Interval
	SpecificityCI            Interval
	// SensitivityText and SpecificityText write each as a percentage
	// with its interval.
	SensitivityText, SpecificityText string
}

// Brief is the evidence a decision page shows: the metrics side by side
// with the selection metric first, the data they come from, the confusion
// matrices, the earlier decisions on the model and any rejected request
// whose candidate was this very bundle.
type Brief struct {
	Data     *Compared
	Rows     []BriefRow
	Matrices []Matrix
	// Earlier are the model's other decided requests, newest first.
	Earlier []Request
	// SameAsRejected are rejected requests whose candidate bundle is the
	// one this request asks about.
	SameAsRejected []Request
	Evidence       []EvidenceLink
}

// EvidenceLink is a piece of evidence named for people, with where it can
// be opened.
type EvidenceLink struct {
	Text, Href, Key string
}

// CandidateBundleKey returns the artifact key of the candidate's bundle:
// the first bundle among the evidence (the evaluation lists the
// candidate's first), "" when there is none.
func (r Request) CandidateBundleKey() string {
	for _, e := range r.Evidence {
		if strings.HasPrefix(e, "bundles/") {
			return e
		}
	}
	return ""
}

// NewBrief builds the brief of r. others are requests to look through for
// earlier decisions (any model; r itself is skipped); href turns an
// evidence key into the address that opens it.
func NewBrief(r Request, others []Request, href func(key string) string) Brief {
	b := Brief{Data: r.Compared}
	sel := ""
	if r.Compared != nil {
		sel = r.Compared.Metric
	}
	for _, row := range r.Comparison() {
		br := BriefRow{Name: row.Metric, Label: MetricLabel(row.Metric), Candidate: row.Candidate, Champion: row.Champion, HasChampion: row.HasChampion, Selection: row.Metric == sel}
		higher, known := eval.HigherIsBetter(row.Metric)
		br.LowerIsBetter = known && !higher
		if br.HasChampion {
			br.Diff = row.Candidate - row.Champion
			gain := br.Diff
			if br.LowerIsBetter {
				gain = -gain
			}
			switch {
			case !known || math.Abs(br.Diff) < 5e-5:
				br.Comparison = "same"
			case gain > 0:
				br.Better, br.Comparison = true, "better"
			default:
				br.Worse, br.Comparison = true, "worse"
			}
			br.DiffText = fmt.Sprintf("%+.4f", br.Diff)
		}
		if c := r.Compared; c != nil {
			br.CandidateCI = interval(row.Metric, c.Candidate, c.Positives, c.Rows, row.Candidate)
			if c.Champion != nil && br.HasChampion {
				br.ChampionCI = interval(row.Metric, *c.Champion, c.Positives, c.Rows, row.Champion)
			}
		}
		b.Rows = append(b.Rows, br)
	}
	order := func(r BriefRow) int {
		if r.Selection {
			return -1
		}
		for i, n := range eval.Names {
			if n == r.Name {
				return i
			}
		}
		return len(eval.Names)
	}
	sort.SliceStable(b.Rows, func(i, j int) bool { return order(b.Rows[i]) < order(b.Rows[j]) })
	if c := r.Compared; c != nil {
		b.Matrices = append(b.Matrices, matrix(fmt.Sprintf("candidate v%d", r.CandidateVersion), c.Candidate))
		if c.Champion != nil {
			b.Matrices = append(b.Matrices, matrix(fmt.Sprintf("champion v%d", r.ChampionVersion), *c.Champion))
		}
	}
	mine := r.CandidateBundleKey()
	for _, o := range others {
		if o.ID == r.ID || o.Model != r.Model || o.Status == Pending {
			continue
		}
		b.Earlier = append(b.Earlier, o)
		if o.Status == Rejected && mine != "" && o.CandidateBundleKey() == mine {
			b.SameAsRejected = append(b.SameAsRejected, o)
		}
	}
	sort.SliceStable(b.Earlier, func(i, j int) bool { return b.Earlier[i].CreatedAt.After(b.Earlier[j].CreatedAt) })
	bundles := 0
	for _, key := range r.Evidence {
		l := EvidenceLink{Key: key, Text: key, Href: href(key)}
		switch {
		case strings.HasPrefix(key, "bundles/"):
			bundles++
			if bundles == 1 {
				l.Text = fmt.Sprintf("candidate v%d model bundle", r.CandidateVersion)
			} else {
				l.Text = fmt.Sprintf("champion v%d model bundle", r.ChampionVersion)
			}
		case strings.HasPrefix(key, "runs/") && strings.HasSuffix(key, "/record.json"):
			l.Text = fmt.Sprintf("candidate v%d training report", r.CandidateVersion)
		case strings.HasPrefix(key, "datasets/"):
			l.Text = "training dataset " + short(strings.TrimSuffix(key[strings.LastIndex(key, "/")+1:], ".csv"))
		case strings.HasPrefix(key, "reports/drift/"):
			l.Text = "drift report " + short(strings.TrimSuffix(key[strings.LastIndex(key, "/")+1:], ".json"))
		case strings.HasPrefix(key, "reports/rendered/"):
			l.Text = "report " + short(key[strings.LastIndex(key, "/")+1:])
		}
		b.Evidence = append(b.Evidence, l)
	}
	return b
}

// short keeps the first 12 characters of an id or digest.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func matrix(who string, c eval.Confusion) Matrix {
	m := Matrix{Who: who, TP: c.TP, FP: c.FP, TN: c.TN, FN: c.FN,
		Sensitivity: ratio(c.TP, c.TP+c.FN), Specificity: ratio(c.TN, c.TN+c.FP),
		SensitivityCI: wilson(c.TP, c.TP+c.FN), SpecificityCI: wilson(c.TN, c.TN+c.FP)}
	m.SensitivityText = percentWithCI(m.Sensitivity, m.SensitivityCI)
	m.SpecificityText = percentWithCI(m.Specificity, m.SpecificityCI)
	return m
}

// percentWithCI writes "71.4 % (95 % CI 55.4–83.3 %)", or "–" for an
// undefined share.
func percentWithCI(v float64, i Interval) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f %% (95 %% CI %.1f–%.1f %%)", 100*v, 100*i.Lo, 100*i.Hi)
}

// Negatives counts the compared rows of class 0.
func (c Compared) Negatives() int { return c.Rows - c.Positives }

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// z95 is the normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// interval is the 95 % confidence interval of a metric on n rows (pos of
// class 1): Wilson's for the proportions of the confusion matrix,
// Hanley and McNeil's for ROC AUC; nil for the others, which have no
// closed form.
func interval(name string, c eval.Confusion, pos, n int, v float64) *Interval {
	var i Interval
	switch name {
	case eval.Accuracy:
		i = wilson(c.TP+c.TN, c.TP+c.TN+c.FP+c.FN)
	case eval.Precision:
		i = wilson(c.TP, c.TP+c.FP)
	case eval.Recall:
		i = wilson(c.TP, c.TP+c.FN)
	case eval.ROCAUC:
		i = hanleyMcNeil(v, pos, n-pos)
	default:
		return nil
	}
	if math.IsNaN(i.Lo) || math.IsNaN(i.Hi) {
		return nil
	}
	return &i
}

// wilson is the Wilson score interval of k successes in n trials.
func wilson(k, n int) Interval {
	if n == 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	p, nf := float64(k)/float64(n), float64(n)
	z2 := z95 * z95
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z95 / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return Interval{math.Max(0, centre-half), math.Min(1, centre+half)}
}

// hanleyMcNeil is the normal-approximation interval of an ROC AUC with
// Hanley and McNeil's (1982) standard error.
func hanleyMcNeil(a float64, pos, neg int) Interval {
	if pos == 0 || neg == 0 || math.IsNaN(a) {
		return Interval{math.NaN(), math.NaN()}
	}
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	se := math.Sqrt((a*(1-a) + float64(pos-1)*(q1-a*a) + float64(neg-1)*(q2-a*a)) / float64(pos*neg))
	return Interval{math.Max(0, a-z95*se), math.Min(1, a+z95*se)}
}
