"""The argument map of a layer: a page that shows it, and the same SVG as a download."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from annotate import access, argument_map, map_svg, workspace
from annotate.models import Layer
from annotate.views.workspace import readable_layer


def map_layout(ws: workspace.Workspace) -> argument_map.MapLayout:
    """The layer's map, from what the workspace loaded of it."""
    units = [
        argument_map.MapUnit(u.id, u.number, u.label.name, u.label.colour, u.attributes, u.quote, u.start)
        for u in ws.units
    ]
    links = [
        argument_map.MapLink(r.source.id, r.target.id, r.type.name, r.type.colour, argument_map.kind_of(r.type.name))
        for r in ws.relations
    ]
    _, _, scheme = ws._plain()  # the scheme as the outline and the structure checks see it
    return argument_map.layout(units, links, scheme=scheme)


def owner(layer: Layer) -> str:
    return "gold" if layer.is_gold else layer.annotator.username


def file_name(layer: Layer) -> str:
    """e.g. "did-trump-flinch-alice-map.svg"."""
    title = slugify(layer.article.title)[:60].strip("-") or f"article-{layer.article.pk}"
    return f"{title}-{slugify(owner(layer)) or 'layer'}-map.svg"


@require_GET
@login_required
def layer_map(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = access.membership_or_404(request.user, slug)
    layer = readable_layer(membership, pk)
    ws = workspace.load(layer)
    drawn = map_layout(ws)
    title = f"Argument map: {layer.article.title} ({owner(layer)})"
    if request.GET.get("download") == "svg":
        response = HttpResponse(map_svg.draw(drawn, title=title), content_type="image/svg+xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{file_name(layer)}"'
        return response
    layer_url = reverse("annotate:layer_detail", args=[membership.project.slug, layer.pk])
    context = {
        "membership": membership,
        "project": membership.project,
        "layer": layer,
        "article": layer.article,
        "ws": ws,
        "loose": [box for box in drawn.boxes if box.rank is None],
        "map_svg": mark_safe(map_svg.draw(drawn, title=title, href=layer_url)),  # draw() escapes every text
        # A map wider than the window opens scrolled to this x (static/annotate/map.css).
        "map_start": round(drawn.box(drawn.top).centre) if drawn.top else None,
    }
    return render(request, "annotate/layer_map.html", context)
