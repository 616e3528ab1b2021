"""Package a trained pipeline as an installable wheel with its custom code, meta and model card."""
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import typer

from news_relations.packaging import build_wheel, model_card, read_metrics, update_meta, vendor_code
from news_relations.schema import NEWS_EXAMPLES, get_scheme


def main(
    model_dir: Path = typer.Argument(..., help="Trained pipeline directory"),
    output_dir: Path = typer.Argument(..., help="Where the package directory and wheel go"),
    name: str = typer.Option("news_relations", help="Package name without the language prefix"),
    version: str = typer.Option("0.1.0", help="Package version"),
    description: str = typer.Option("Entities, roles and relations in English news", help="meta description"),
    license: str = typer.Option("MIT", help="License of the trained pipeline"),
    author: str = typer.Option("news-relations team", help="meta author"),
    scheme: str = typer.Option("news", help="Label scheme"),
    metrics_json: List[Path] = typer.Option([], "--metrics-json", help="Evaluation JSON for meta accuracy"),
    metrics_md: List[Path] = typer.Option([], "--metrics-md", help="Evaluation tables for the model card"),
) -> None:
    """Stage the pipeline, write meta and README, run `spacy package`, vendor the code and build the wheel."""
    staged = output_dir / "staging" / model_dir.name
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(model_dir, staged)
    label_scheme = get_scheme(scheme)
    meta = update_meta(staged, name, version, description, license, author, label_scheme, read_metrics(metrics_json))
    tables = [p.read_text(encoding="utf-8") for p in metrics_md if p.exists()]
    (staged / "README.md").write_text(model_card(meta, tables, NEWS_EXAMPLES if scheme == "news" else {}), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "spacy", "package", str(staged), str(output_dir), "--build", "none", "--force"], check=True)
    package_root = output_dir / f"{meta['lang']}_{name}-{version}"
    vendor_code(package_root, f"{meta['lang']}_{name}")
    wheel = build_wheel(package_root)
    shutil.rmtree(output_dir / "staging")
    typer.echo(f"built {wheel} ({wheel.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    typer.run(main)
