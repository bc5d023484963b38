// bare serves one fixed JSON body with the same headers qrpin sends.
package main

import (
	"net/http"
	"os"
)

func main() {
	body, err := os.ReadFile(os.Args[2])
	if err != nil {
		panic(err)
	}
	http.ListenAndServe(os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	}))
}
