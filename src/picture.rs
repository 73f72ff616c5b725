//! Pictures of a topology: sites, layers and components, with the single points of
//! failure highlighted.
//!
//! [`dot`] writes Graphviz DOT: one cluster per site holding the site itself, one
//! cluster per layer with each deployment as a node (its servers counted, not drawn),
//! and the site's power, racks and devices; links between clusters; edges from each
//! component to what it needs. [`svg`] draws the same nodes without Graphviz, on a grid
//! of sites (columns) and layers (rows), without edges. Colours: red for a single point
//! of some flow, orange for a member of a minimal pair or a common cause that fails a
//! flow, white otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::spof::search::Cuts;
use crate::topology::{ElementId, ElementKind, GroupId, Ref, Topology};

/// How a component is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    Plain,
    /// In a minimal pair or a common cause that fails some flow.
    Pair,
    /// A single point of failure of some flow.
    Single,
}

impl Mark {
    fn fill(self) -> &'static str {
        match self {
            Mark::Plain => "#ffffff",
            Mark::Pair => "#ffd8a8",
            Mark::Single => "#ff8a80",
        }
    }
}

/// The marks of every element and group, from the cuts of every flow.
pub struct Marks {
    pub elements: Vec<Mark>,
    pub groups: Vec<Mark>,
}

impl Marks {
    pub fn new(topology: &Topology, cuts: &Cuts, causes: &[Vec<ElementId>]) -> Marks {
        let mut elements = vec![Mark::Plain; topology.elements.len()];
        let mut raise = |e: ElementId, mark: Mark| elements[e] = elements[e].max(mark);
        for &(e, _) in cuts.singles.iter().flatten() {
            raise(e, Mark::Single);
        }
        for &((a, b), _) in cuts.pairs.iter().flatten() {
            raise(a, Mark::Pair);
            raise(b, Mark::Pair);
        }
        for &(c, _) in cuts.causes.iter().flatten() {
            for &m in &causes[c] {
                raise(m, Mark::Pair);
            }
        }
        let groups = (topology.groups.iter())
            .map(|g| g.members.iter().map(|&m| elements[m]).max().unwrap_or(Mark::Plain))
            .collect();
        Marks { elements, groups }
    }
}

/// Quotes a string for DOT and SVG text.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Quotes a string for a DOT label: as [`escape`], and a backslash kept as one.
fn dot_escape(text: &str) -> String {
    escape(text).replace('\\', "\\\\")
}

fn element_node(e: ElementId) -> String {
    format!("e{e}")
}

fn group_node(g: GroupId) -> String {
    format!("g{g}")
}

fn ref_node(r: Ref) -> String {
    match r {
        Ref::Element(e) => element_node(e),
        Ref::Group(g) => group_node(g),
    }
}

/// Label of a group node: its id, members and mechanism.
fn group_label(topology: &Topology, g: GroupId) -> String {
    let group = &topology.groups[g];
    let spares = group.members.len() - group.spares_from;
    let spares = if spares > 0 { format!(" + {spares} spare") } else { String::new() };
    format!(
        "{}\\n{} member{}{spares} · {}",
        dot_escape(&group.id),
        group.spares_from,
        if group.spares_from == 1 { "" } else { "s" },
        dot_escape(&topology.mechanism_of_group(g).id)
    )
}

/// What goes in each site's cluster: deployments by layer, then other components.
struct Layout {
    /// Per site: (layer index, group) of each deployment.
    deployments: BTreeMap<ElementId, Vec<(usize, GroupId)>>,
    /// Per site: elements (not servers) and groups that are not deployments.
    equipment: BTreeMap<ElementId, (Vec<ElementId>, Vec<GroupId>)>,
    /// Elements in no site: links.
    outside: Vec<ElementId>,
    /// Groups in no site.
    loose: Vec<GroupId>,
}

fn layout(topology: &Topology) -> Layout {
    let mut l = Layout {
        deployments: BTreeMap::new(),
        equipment: BTreeMap::new(),
        outside: Vec::new(),
        loose: Vec::new(),
    };
    for (g, group) in topology.groups.iter().enumerate() {
        match (group.service, group.site) {
            (Some((s, site)), _) => {
                let layer = topology.services[s].layer;
                l.deployments.entry(site).or_default().push((layer, g));
            }
            (None, Some(site)) => l.equipment.entry(site).or_default().1.push(g),
            (None, None) => l.loose.push(g),
        }
    }
    for (e, element) in topology.elements.iter().enumerate() {
        match (element.kind, element.site) {
            (ElementKind::Server | ElementKind::Site, _) => {}
            (_, Some(site)) => l.equipment.entry(site).or_default().0.push(e),
            (_, None) => l.outside.push(e),
        }
    }
    l
}

/// The topology as Graphviz DOT.
pub fn dot(topology: &Topology, marks: &Marks) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&topology.id));
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, compound=true, fontname=\"Helvetica\", labelloc=t, \
         label=\"{} — red: single point of failure, \
         orange: in a minimal pair or common cause\"];",
        dot_escape(&topology.title)
    );
    out.push_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n",
    );
    out.push_str("  edge [color=\"#888888\", arrowsize=0.6];\n");
    let l = layout(topology);
    let node = |out: &mut String, id: String, label: String, mark: Mark| {
        let _ = writeln!(out, "    {id} [label=\"{label}\", fillcolor=\"{}\"];", mark.fill());
    };

    // One cluster per site: the site, its layers, its equipment
    for &site in &topology.sites {
        let s = &topology.elements[site];
        let _ = writeln!(out, "  subgraph \"cluster_{site}\" {{");
        let _ = writeln!(
            out,
            "    label=\"{}\"; style=rounded; color=\"#4a6fa5\";",
            dot_escape(&s.name)
        );
        node(
            &mut out,
            element_node(site),
            format!("site {}", dot_escape(&s.id)),
            marks.elements[site],
        );
        let mut by_layer: BTreeMap<usize, Vec<GroupId>> = BTreeMap::new();
        for &(layer, g) in l.deployments.get(&site).into_iter().flatten() {
            by_layer.entry(layer).or_default().push(g);
        }
        for (layer, groups) in by_layer {
            let _ = writeln!(out, "    subgraph \"cluster_{site}_{layer}\" {{");
            let title = dot_escape(&topology.layers[layer].title);
            let _ = writeln!(out, "      label=\"{title}\"; style=dashed; color=\"#999999\";");
            for g in groups {
                node(&mut out, group_node(g), group_label(topology, g), marks.groups[g]);
            }
            out.push_str("    }\n");
        }
        let (elements, groups) = l.equipment.get(&site).cloned().unwrap_or_default();
        for e in elements {
            let element = &topology.elements[e];
            let label = format!("{}\\n{}", dot_escape(&element.id), element.kind.name());
            node(&mut out, element_node(e), label, marks.elements[e]);
        }
        for g in groups {
            node(&mut out, group_node(g), group_label(topology, g), marks.groups[g]);
        }
        out.push_str("  }\n");
    }

    // Links and groups in no site
    for &e in &l.outside {
        let element = &topology.elements[e];
        let label =
            format!("{}\\n{} {}", dot_escape(&element.id), element.detail, element.kind.name());
        node(&mut out, element_node(e), label, marks.elements[e]);
    }
    for &g in &l.loose {
        node(&mut out, group_node(g), group_label(topology, g), marks.groups[g]);
    }

    // Edges: from each component to what it needs
    edges(&mut out, topology);
    out.push_str("}\n");
    out
}

fn edges(out: &mut String, topology: &Topology) {
    for (e, element) in topology.elements.iter().enumerate() {
        if element.kind == ElementKind::Server {
            continue;
        }
        for &n in element.needs.iter().filter(|&&n| Some(n) != element.site) {
            let _ = writeln!(out, "  {} -> {};", element_node(e), element_node(n));
        }
        for &n in &element.needs_any {
            let _ = writeln!(out, "  {} -> {} [style=dashed];", element_node(e), element_node(n));
        }
    }
    for (g, group) in topology.groups.iter().enumerate() {
        let mut targets: Vec<String> = Vec::new();
        if group.service.is_some() {
            // A deployment: what its servers need, besides their site
            for &m in &group.members {
                let member = &topology.elements[m];
                let needs = member.needs.iter().filter(|&&n| Some(n) != member.site);
                targets.extend(needs.map(|&n| element_node(n)));
            }
        } else {
            targets.extend(group.members.iter().map(|&m| element_node(m)));
        }
        targets.extend(group.via.iter().map(|&v| ref_node(v)));
        targets.sort();
        targets.dedup();
        for t in targets {
            let _ = writeln!(out, "  {} -> {t};", group_node(g));
        }
    }
}

/// Size of a box of the built-in drawing \[pixels\].
const BOX_W: usize = 200;
const BOX_H: usize = 34;
const GAP: usize = 8;

/// The topology as SVG, drawn without Graphviz: sites as columns, then one row per
/// layer, one for power, racks and devices, and one for the links (in the column of
/// the first site they join). Edges are left out; the DOT output has them.
pub fn svg(topology: &Topology, marks: &Marks) -> String {
    let l = layout(topology);
    let rows = topology.layers.len() + 2;

    // Each cell's boxes: (label, detail, mark)
    let column = |site: ElementId| topology.sites.iter().position(|&s| s == site).unwrap_or(0);
    let mut cells: Vec<Vec<Vec<(String, String, Mark)>>> =
        vec![vec![Vec::new(); rows]; topology.sites.len()];
    for (&site, groups) in &l.deployments {
        for &(layer, g) in groups {
            let group = &topology.groups[g];
            let detail = format!("{} × {}", group.spares_from, topology.mechanism_of_group(g).id);
            cells[column(site)][layer].push((group.id.clone(), detail, marks.groups[g]));
        }
    }
    let equipment_row = topology.layers.len();
    for (&site, (elements, groups)) in &l.equipment {
        for &e in elements {
            let element = &topology.elements[e];
            let row = &mut cells[column(site)][equipment_row];
            row.push((element.id.clone(), element.kind.name().to_owned(), marks.elements[e]));
        }
        for &g in groups {
            let detail = format!("pair · {}", topology.mechanism_of_group(g).id);
            let row = &mut cells[column(site)][equipment_row];
            row.push((topology.groups[g].id.clone(), detail, marks.groups[g]));
        }
    }
    for &e in &l.outside {
        let element = &topology.elements[e];
        let at = element.needs.first().map_or(0, |&s| column(s));
        let detail = format!("{} link", element.detail);
        cells[at][rows - 1].push((element.id.clone(), detail, marks.elements[e]));
    }

    // Row heights, then the boxes
    let heights: Vec<usize> = (0..rows)
        .map(|r| cells.iter().map(|c| c[r].len()).max().unwrap_or(0).max(1) * (BOX_H + GAP) + 30)
        .collect();
    let (left, top) = (150, 70);
    let width = left + topology.sites.len() * (BOX_W + 2 * GAP) + GAP;
    let height = top + heights.iter().sum::<usize>() + 20;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"22\" font-size=\"15\">{}</text>\n<text x=\"10\" y=\"42\">red: single \
         point of failure; orange: in a minimal pair or a common cause; \
         edges: see --format dot</text>",
        escape(&topology.title)
    );
    for (c, &site) in topology.sites.iter().enumerate() {
        let x = left + c * (BOX_W + 2 * GAP) + GAP;
        let mark = marks.elements[site];
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"50\" width=\"{BOX_W}\" height=\"18\" fill=\"{}\" \
             stroke=\"#4a6fa5\"/>\
             <text x=\"{}\" y=\"63\" font-weight=\"bold\">{}</text>",
            mark.fill(),
            x + 4,
            escape(&topology.elements[site].id)
        );
    }
    let mut y = top;
    for (r, &h) in heights.iter().enumerate() {
        let title = match r {
            r if r < topology.layers.len() => topology.layers[r].id.as_str(),
            r if r == equipment_row => "power, racks, devices",
            _ => "links",
        };
        let _ = writeln!(
            out,
            "<line x1=\"0\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\" stroke=\"#dddddd\"/>\
             <text x=\"6\" y=\"{}\" fill=\"#555555\">{}</text>",
            y + 16,
            escape(title)
        );
        for (c, column) in cells.iter().enumerate() {
            let x = left + c * (BOX_W + 2 * GAP) + GAP;
            for (i, (label, detail, mark)) in column[r].iter().enumerate() {
                let by = y + 8 + i * (BOX_H + GAP);
                let _ = writeln!(
                    out,
                    "<rect x=\"{x}\" y=\"{by}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"4\" \
                     fill=\"{}\" stroke=\"#777777\"/><text x=\"{}\" y=\"{}\">{}</text>\
                     <text x=\"{}\" y=\"{}\" fill=\"#555555\" font-size=\"10\">{}</text>",
                    mark.fill(),
                    x + 5,
                    by + 14,
                    escape(label),
                    x + 5,
                    by + 28,
                    escape(detail)
                );
            }
        }
        y += h;
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::dot_escape;

    #[test]
    fn a_backslash_in_an_id_stays_one_in_a_dot_label() {
        // `db\n` would otherwise read as a line break in Graphviz
        assert_eq!(dot_escape(r#"db\n "x""#), r#"db\\n &quot;x&quot;"#);
    }
}
