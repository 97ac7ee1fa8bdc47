// Package chart draws the few chart kinds Steward's reports and dashboard
// need (line charts with optional bands, grouped and horizontal bar charts)
// once, as geometry, onto a small Canvas; two canvases ship: SVG text for
// the HTML reports and the dashboard (inline, no scripts, no external
// assets), and a PDF canvas over go-pdf/fpdf for the PDF reports. The same
// chart therefore looks the same in every output.
//
// Charts are plain values: fill a LineChart or BarChart and call SVG or
// Draw. Non-finite values are skipped, never drawn; an empty chart draws its
// frame and a "no data" note.
package chart
