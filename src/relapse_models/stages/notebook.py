"""Execute the project's jupytext notebooks with papermill.

``notebooks/*.py`` (py:percent) are the source of truth. The pipeline converts one to
``.ipynb`` in memory, names the project's kernel explicitly, injects parameters and keeps the
executed notebook for audit; a failed execution leaves no notebook at the output path.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from relapse_models.core.config import PROJECT_ROOT, import_jsonschema
from relapse_models.core.io import atomic_path

KERNEL_NAME = "relapse-models"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


def notebook_source(name: str) -> Path:
    """Path of the jupytext source of notebook ``name`` (e.g. ``"01_clean"``)."""
    path = NOTEBOOKS_DIR / f"{name}.py"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in NOTEBOOKS_DIR.glob("[0-9]*.py")))
        raise FileNotFoundError(f"no notebook {name!r} in {NOTEBOOKS_DIR} (known: {known})")
    return path


def ensure_kernel() -> str:
    """Register this interpreter as the ``relapse-models`` kernel if it is not yet known.

    The kernel must be the project's venv: papermill would otherwise start whatever
    ``python3`` kernel Jupyter finds first.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if KERNEL_NAME not in specs:
        from ipykernel.kernelspec import install

        install(
            kernel_name=KERNEL_NAME,
            display_name="relapse-models (.venv)",
            prefix=sys.prefix,
        )
    return KERNEL_NAME


def quiet_kernel_manager(socket_dir: str | os.PathLike[str]) -> type:
    """A kernel manager whose kernel logs no false alarm.

    On shutdown jupyter_client interrupts (SIGINT) even an idle kernel, which ipykernel logs
    as "ERROR | KeyboardInterrupt caught in kernel" in every job's log; a finished notebook
    needs no interrupt (a timeout still interrupts, and a kernel that does not stop is
    terminated). The kernel listens on Unix sockets in ``socket_dir`` rather than
    unencrypted local TCP ports, which ipykernel warns about at every start.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(transport="ipc", ip=str(Path(socket_dir) / "kernel"), **kwargs)

        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return QuietKernelManager


def run_notebook(
    name: str,
    output: str | os.PathLike[str],
    parameters: dict[str, Any] | None = None,
    html: str | os.PathLike[str] | None = None,
    timeout: int = 3600,
) -> Path:
    """Execute notebook ``name`` with ``parameters``; write the executed ``.ipynb`` to
    ``output`` and, if asked, its report HTML (no input cells) to ``html``. Relative paths
    in ``parameters`` are relative to the working folder (passed as ``project_dir``)."""
    import_jsonschema()  # before nbformat imports it: skips a 2 s grammar build per job
    import jupytext
    import papermill

    kernel = ensure_kernel()
    notebook = jupytext.read(notebook_source(name))
    notebook.metadata["kernelspec"] = {
        "name": kernel,
        "display_name": "relapse-models (.venv)",
        "language": "python",
    }
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    source = output.with_name(f".{output.stem}.src.ipynb")
    jupytext.write(notebook, source, fmt="ipynb")
    try:
        with atomic_path(output) as tmp_out, tempfile.TemporaryDirectory() as sockets:
            papermill.execute_notebook(
                str(source),
                str(tmp_out),
                parameters={"project_dir": ".", **(parameters or {})},
                kernel_name=kernel,
                cwd=os.getcwd(),
                progress_bar=True,
                execution_timeout=timeout,
                log_output=False,
                # the kernel's stderr (progress bars, warnings) into the job's stderr and log
                stderr_file=sys.stderr,
                kernel_manager_class=quiet_kernel_manager(sockets),
            )
            stable_cell_ids(tmp_out)
            if html is not None:
                from relapse_models.report.render import notebook_to_html

                notebook_to_html(tmp_out, html)
    finally:
        source.unlink(missing_ok=True)
    return output


def stable_cell_ids(path: str | os.PathLike[str]) -> Path:
    """Number the cells of an executed notebook (``cell-0``, ``cell-1``, ...) in place.

    jupytext and papermill give cells random ids, which end up in the report pages: two runs
    of one config would differ in them alone. Numbered ids make pages byte-reproducible.
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index}"
    nbformat.write(notebook, path)
    return Path(path)


def project_folder(start: str | os.PathLike[str] | None = None) -> Path:
    """The project folder of a notebook opened by hand: the nearest of ``start`` (default:
    the working folder) and its parents that holds ``config/config.yaml``, else the
    repository the package runs from (a kernel may start in ``notebooks/`` or anywhere)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "config" / "config.yaml").is_file():
            return folder
    return PROJECT_ROOT


def chdir_project_root(project_dir: str | os.PathLike[str] = "") -> Path:
    """Move to the notebook's project folder, so relative paths resolve wherever the kernel
    started: ``project_dir`` when given (:func:`run_notebook` passes ``"."``, so a
    pipeline job stays where it runs), else :func:`project_folder`."""
    folder = Path(project_dir) if project_dir else project_folder()
    os.chdir(folder)
    return folder.resolve()
