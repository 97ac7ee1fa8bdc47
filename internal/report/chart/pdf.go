package chart

import (
	"strconv"

	"github.com/go-pdf/fpdf"
)

// PDF draws charts on a page of an fpdf document: chart units map to
// millimetres as X + x*Scale, Y + y*Scale. Text uses the core Helvetica
// font through Translate (the document's code page translator).
type PDF struct {
	Doc       *fpdf.Fpdf
	X, Y      float64
	Scale     float64
	Translate func(string) string
}

// Place draws c with its top-left corner at (x, y) mm, width mm wide, and
// returns the height it took in mm.
func Place(doc *fpdf.Fpdf, tr func(string) string, c Drawer, x, y, width float64) float64 {
	w, h := c.size()
	s := width / w
	c.Draw(&PDF{Doc: doc, X: x, Y: y, Scale: s, Translate: tr})
	return h * s
}

func rgb(hex string) (int, int, int) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, 0, 0
	}
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return 0, 0, 0
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

func (p *PDF) x(v float64) float64 { return p.X + v*p.Scale }
func (p *PDF) y(v float64) float64 { return p.Y + v*p.Scale }

func (p *PDF) stroke(s Stroke) {
	r, g, b := rgb(s.Color)
	p.Doc.SetDrawColor(r, g, b)
	w := s.Width
	if w <= 0 {
		w = 1
	}
	p.Doc.SetLineWidth(w * p.Scale)
	if s.Dash {
		p.Doc.SetDashPattern([]float64{5 * p.Scale, 4 * p.Scale}, 0)
	} else {
		p.Doc.SetDashPattern([]float64{}, 0)
	}
}

// Line implements Canvas.
func (p *PDF) Line(x1, y1, x2, y2 float64, s Stroke) {
	if s.Color == "" {
		return
	}
	p.stroke(s)
	p.Doc.Line(p.x(x1), p.y(y1), p.x(x2), p.y(y2))
}

// Polyline implements Canvas.
func (p *PDF) Polyline(pts []Point, s Stroke) {
	if s.Color == "" || len(pts) < 2 {
		return
	}
	p.stroke(s)
	p.Doc.SetLineJoinStyle("round")
	p.Doc.MoveTo(p.x(pts[0].X), p.y(pts[0].Y))
	for _, q := range pts[1:] {
		p.Doc.LineTo(p.x(q.X), p.y(q.Y))
	}
	p.Doc.DrawPath("D")
	p.Doc.SetLineJoinStyle("miter")
}

// Rect implements Canvas.
func (p *PDF) Rect(x, y, w, h float64, fill string, s Stroke) {
	style := ""
	if fill != "" {
		r, g, b := rgb(fill)
		p.Doc.SetFillColor(r, g, b)
		style = "F"
	}
	if s.Color != "" {
		p.stroke(s)
		style += "D"
	}
	if style == "" {
		return
	}
	p.Doc.Rect(p.x(x), p.y(y), w*p.Scale, h*p.Scale, style)
}

// Polygon implements Canvas.
func (p *PDF) Polygon(pts []Point, fill string, opacity float64) {
	if len(pts) < 3 {
		return
	}
	r, g, b := rgb(fill)
	p.Doc.SetFillColor(r, g, b)
	p.Doc.SetAlpha(opacity, "Normal")
	out := make([]fpdf.PointType, len(pts))
	for i, q := range pts {
		out[i] = fpdf.PointType{X: p.x(q.X), Y: p.y(q.Y)}
	}
	p.Doc.Polygon(out, "F")
	p.Doc.SetAlpha(1, "Normal")
}

// Text implements Canvas.
func (p *PDF) Text(x, y float64, s string, t TextStyle) {
	if p.Translate != nil {
		s = p.Translate(s)
	}
	style := ""
	if t.Bold {
		style = "B"
	}
	// Chart units are pixels at 96 dpi; a point is 1/72 inch.
	p.Doc.SetFont("Helvetica", style, t.Size*p.Scale/0.3528)
	r, g, b := rgb(t.Color)
	p.Doc.SetTextColor(r, g, b)
	w := p.Doc.GetStringWidth(s)
	off := 0.0
	switch t.Anchor {
	case Middle:
		off = w / 2
	case End:
		off = w
	}
	px, py := p.x(x), p.y(y)
	if t.Vertical {
		p.Doc.TransformBegin()
		p.Doc.TransformRotate(90, px, py)
		p.Doc.Text(px-off, py, s)
		p.Doc.TransformEnd()
		return
	}
	p.Doc.Text(px-off, py, s)
}
