"""Pages: search the communes; resolve an old address to the new commune."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from geo.forms import AddressResolveForm, CommuneSearchForm
from geo.services import resolve_address, search_communes

RESULT_LIMIT = 50


@login_required
def commune_search(request):
    form = CommuneSearchForm(request.GET or None)
    communes, searched = [], False
    if form.is_valid() and (form.cleaned_data["q"] or form.cleaned_data["province"]):
        searched = True
        communes = list(search_communes(form.cleaned_data["q"], province=form.cleaned_data["province"],
                                        limit=RESULT_LIMIT + 1, include_retired=form.cleaned_data["include_retired"]))
    context = {"form": form, "communes": communes[:RESULT_LIMIT], "more": len(communes) > RESULT_LIMIT,
               "searched": searched, "limit": RESULT_LIMIT, "resolve_form": AddressResolveForm()}
    template = "geo/_commune_results.html" if request.htmx else "geo/commune_search.html"
    return render(request, template, context)


@login_required
def address_resolve(request):
    form = AddressResolveForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = resolve_address(form.cleaned_data["address"])
    english = (get_language() or "vi").startswith("en")
    context = {"form": form, "result": result,
               "message": (result.resolution.message_en if english else result.resolution.message_vi) if result else ""}
    template = "geo/_resolve_result.html" if request.htmx else "geo/address_resolve.html"
    return render(request, template, context)
