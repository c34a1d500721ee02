"""Staff pages for importing and exporting a province's procedure list:
upload → preview (counts, row errors) → commit (background task) → progress → result."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.scopes import can_act, visible
from catalog import imports
from catalog.importer import ImportFileError, file_format
from catalog.models import ImportBatch
from geo.models import Province

SAMPLE = imports.SAMPLE_FILE
SHOWN_ERRORS = 500


class UploadForm(forms.Form):
    province = forms.ModelChoiceField(queryset=Province.objects.none(), to_field_name="code",
                                      label=gettext_lazy("Tỉnh/thành phố"), empty_label=None)
    file = forms.FileField(label=gettext_lazy("Tệp danh mục (.xlsx hoặc .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = visible(user, Province.objects.filter(retired=False))
        if user.province_id:
            self.fields["province"].initial = user.province.code

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_format(upload.name)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


def _require_manager(user):
    if not can_act(user, "manage_catalog"):
        raise PermissionDenied(_("Bạn không có quyền quản lý danh mục TTHC. / You may not manage the catalogue."))


def _batch(request, pk) -> ImportBatch:
    _require_manager(request.user)
    return get_object_or_404(visible(request.user, ImportBatch.objects.select_related("province", "created_by")),
                             pk=pk)


@login_required
def upload(request):
    _require_manager(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload_file = form.cleaned_data["file"]
            try:
                batch = imports.preview_import(upload_file, upload_file.name, form.cleaned_data["province"],
                                               request.user)
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                return redirect("catalog_import:detail", pk=batch.pk)
    else:
        form = UploadForm(user=request.user)
    batches = visible(request.user, ImportBatch.objects.select_related("province", "created_by"))[:20]
    provinces = form.fields["province"].queryset
    return render(request, "catalog/import/upload.html", {"form": form, "batches": batches, "provinces": provinces})


@login_required
def detail(request, pk):
    batch = _batch(request, pk)
    errors = batch.errors[:SHOWN_ERRORS]
    return render(request, "catalog/import/detail.html", {
        "batch": batch, "progress": imports.progress(batch), "errors": errors,
        "hidden_errors": max(0, batch.report.get("error_count", len(batch.errors)) - len(errors)),
    })


@login_required
@require_POST
def commit(request, pk):
    batch = _batch(request, pk)
    try:
        imports.request_commit(batch, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Đã bắt đầu nhập danh mục. / The import has started."))
    return redirect("catalog_import:detail", pk=batch.pk)


@login_required
def progress(request, pk):
    """The htmx fragment polled every second while the batch runs."""
    batch = _batch(request, pk)
    return render(request, "catalog/import/_progress.html", {"batch": batch, "progress": imports.progress(batch)})


@login_required
def export(request):
    _require_manager(request.user)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in imports.EXPORT_CONTENT_TYPES:
        raise Http404
    code = request.GET.get("province") or (request.user.province.code if request.user.province_id else "")
    province = visible(request.user, Province.objects.all()).filter(code=code).first()
    if province is None:
        raise Http404
    response = HttpResponse(imports.export_province(province, fmt), content_type=imports.EXPORT_CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{imports.export_filename(province, fmt)}"'
    return response


@login_required
def sample(request):
    _require_manager(request.user)
    return FileResponse(SAMPLE.open("rb"), as_attachment=True, filename=SAMPLE.name,
                        content_type="text/csv; charset=utf-8")
