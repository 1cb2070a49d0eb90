version 1.0

# A placeholder private workflow for the example app: it counts the lines of one input file.
# Replace it with your own definition (WorkflowDefinition.from_asset or WorkflowDefinition.from_bucket).
workflow line_count {
    input {
        File reads
        String container
    }
    call count_lines { input: reads = reads, container = container }
    output {
        File counts = count_lines.counts
    }
}

task count_lines {
    input {
        File reads
        String container
    }
    command <<<
        wc -l < "~{reads}" > counts.txt
    >>>
    runtime {
        docker: container
        cpu: 1
        memory: "2 GiB"
    }
    output {
        File counts = "counts.txt"
    }
}
