package chart

import (
	"html"
	"strconv"
	"strings"
)

// SVG renders a chart as an inline <svg> element: no scripts, no external
// references, scaled to its container's width.
func SVG(c Drawer) string {
	w, h := c.size()
	cv := &svgCanvas{}
	cv.b.Grow(4096)
	cv.b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `)
	cv.num(w)
	cv.b.WriteByte(' ')
	cv.num(h)
	cv.b.WriteString(`" width="`)
	cv.num(w)
	cv.b.WriteString(`" height="`)
	cv.num(h)
	cv.b.WriteString(`" role="img" style="width:100%;height:auto" font-family="Helvetica,Arial,sans-serif"`)
	if t := c.title(); t != "" {
		cv.b.WriteString(` aria-label="`)
		cv.b.WriteString(html.EscapeString(t))
		cv.b.WriteString(`"><title>`)
		cv.b.WriteString(html.EscapeString(t))
		cv.b.WriteString(`</title>`)
	} else {
		cv.b.WriteByte('>')
	}
	c.Draw(cv)
	cv.b.WriteString(`</svg>`)
	return cv.b.String()
}

type svgCanvas struct{ b strings.Builder }

func (c *svgCanvas) num(v float64) {
	c.b.WriteString(strconv.FormatFloat(float64(int64(v*10+copysign(0.5, v)))/10, 'f', -1, 64))
}

func copysign(a, v float64) float64 {
	if v < 0 {
		return -a
	}
	return a
}

func (c *svgCanvas) attr(name string, v float64) {
	c.b.WriteByte(' ')
	c.b.WriteString(name)
	c.b.WriteString(`="`)
	c.num(v)
	c.b.WriteByte('"')
}

func (c *svgCanvas) stroke(s Stroke) {
	c.b.WriteString(` stroke="`)
	c.b.WriteString(s.Color)
	c.b.WriteByte('"')
	if s.Width != 1 {
		c.attr("stroke-width", s.Width)
	}
	if s.Dash {
		c.b.WriteString(` stroke-dasharray="5 4"`)
	}
}

func (c *svgCanvas) Line(x1, y1, x2, y2 float64, s Stroke) {
	if s.Color == "" {
		return
	}
	c.b.WriteString(`<line`)
	c.attr("x1", x1)
	c.attr("y1", y1)
	c.attr("x2", x2)
	c.attr("y2", y2)
	c.stroke(s)
	c.b.WriteString(`/>`)
}

func (c *svgCanvas) points(pts []Point) {
	c.b.WriteString(` points="`)
	for i, p := range pts {
		if i > 0 {
			c.b.WriteByte(' ')
		}
		c.num(p.X)
		c.b.WriteByte(',')
		c.num(p.Y)
	}
	c.b.WriteByte('"')
}

func (c *svgCanvas) Polyline(pts []Point, s Stroke) {
	if s.Color == "" || len(pts) < 2 {
		return
	}
	c.b.WriteString(`<polyline fill="none" stroke-linejoin="round"`)
	c.points(pts)
	c.stroke(s)
	c.b.WriteString(`/>`)
}

func (c *svgCanvas) Rect(x, y, w, h float64, fill string, s Stroke) {
	if fill == "" && s.Color == "" {
		return
	}
	c.b.WriteString(`<rect`)
	c.attr("x", x)
	c.attr("y", y)
	c.attr("width", w)
	c.attr("height", h)
	if fill == "" {
		c.b.WriteString(` fill="none"`)
	} else {
		c.b.WriteString(` fill="`)
		c.b.WriteString(fill)
		c.b.WriteByte('"')
	}
	if s.Color != "" {
		c.stroke(s)
	}
	c.b.WriteString(`/>`)
}

func (c *svgCanvas) Polygon(pts []Point, fill string, opacity float64) {
	if len(pts) < 3 {
		return
	}
	c.b.WriteString(`<polygon fill="`)
	c.b.WriteString(fill)
	c.b.WriteByte('"')
	c.attr("fill-opacity", opacity)
	c.points(pts)
	c.b.WriteString(`/>`)
}

func (c *svgCanvas) Text(x, y float64, s string, t TextStyle) {
	c.b.WriteString(`<text`)
	c.attr("x", x)
	c.attr("y", y)
	c.attr("font-size", t.Size)
	if t.Color != "" {
		c.b.WriteString(` fill="`)
		c.b.WriteString(t.Color)
		c.b.WriteByte('"')
	}
	switch t.Anchor {
	case Middle:
		c.b.WriteString(` text-anchor="middle"`)
	case End:
		c.b.WriteString(` text-anchor="end"`)
	}
	if t.Bold {
		c.b.WriteString(` font-weight="bold"`)
	}
	if t.Vertical {
		c.b.WriteString(` transform="rotate(-90 `)
		c.num(x)
		c.b.WriteByte(' ')
		c.num(y)
		c.b.WriteString(`)"`)
	}
	c.b.WriteByte('>')
	c.b.WriteString(html.EscapeString(s))
	c.b.WriteString(`</text>`)
}
