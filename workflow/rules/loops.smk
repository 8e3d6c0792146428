# Beside stage 5: what a trained L-CNN computes, loop by loop. The replica with the lowest
# validation loss of each experiment in `loops: explain:` is expanded into traced Wilson loops.


rule loops_explain:
    input:
        models=lambda w: model_targets(w.exp),
        ensembles=lambda w: loops_ensembles(w.exp),
    output:
        summary=f"{RESULTS}/loops/{{exp}}/{{exp}}_summary.json",
        table=f"{RESULTS}/loops/{{exp}}/{{exp}}_expansion.csv",
        figure=report(
            f"{RESULTS}/loops/{{exp}}/{{exp}}_loops.png",
            caption="../report/loops.rst",
            category=loops_category,
            subcategory="Loop analysis",
            labels={"figure": "loops of {exp}"},
        ),
    log:
        f"{RESULTS}/logs/loops/{{exp}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/loops/{{exp}}.tsv"
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        out=lambda w: f"{RESULTS}/loops/{w.exp}",
        configs=LOOPS["configs"],
        top=LOOPS["top"],
    shell:
        f"{LATTICEML} loops explain {{input.models:q}} --out-dir {{params.out:q}}"
        " --name {wildcards.exp} --ensembles {input.ensembles:q} --configs {params.configs}"
        " --top {params.top} --force"
        " > {log:q} 2>&1"
