module rivulet.example/article-sse

go 1.19
