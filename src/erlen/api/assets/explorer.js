// erlen's API explorer: reads the OpenAPI document, lists each operation,
// and sends requests from a small form. No dependencies, no CDN.
(function () {
  "use strict";
  var specUrl = document.querySelector('meta[name="erlen-openapi"]').content;
  var csrf = document.querySelector('meta[name="erlen-csrf"]').content;
  var scriptRoot = document.querySelector('meta[name="erlen-root"]').content;
  var root = document.getElementById("ops");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function resolve(spec, schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      schema = spec.components.schemas[schema.$ref.split("/").pop()] || {};
    }
    return schema || {};
  }

  function example(spec, schema, depth) {
    schema = resolve(spec, schema);
    if (depth > 6) return null;
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    if (schema.anyOf) return example(spec, schema.anyOf[0], depth + 1);
    switch (schema.type) {
      case "object":
        var out = {};
        Object.keys(schema.properties || {}).forEach(function (name) {
          out[name] = example(spec, schema.properties[name], depth + 1);
        });
        return out;
      case "array": return [example(spec, schema.items || {}, depth + 1)];
      case "integer": return 0;
      case "number": return 0;
      case "boolean": return false;
      case "null": return null;
      default:
        if (schema.format === "date-time") return new Date().toISOString();
        if (schema.format === "uuid") return "00000000-0000-0000-0000-000000000000";
        return "string";
    }
  }

  function operation(spec, path, method, op) {
    var inputs = [];
    var fields = (op.parameters || []).map(function (param) {
      var input = el("input", { name: param.name, placeholder: (resolve(spec, param.schema).type || "") });
      inputs.push({ param: param, input: input });
      return el("label", { text: param.in + " " + param.name }, [
        param.required ? el("span", { "class": "req", text: " *" }) : null, input]);
    });
    var bodyArea = null;
    var media = null;
    if (op.requestBody) {
      media = Object.keys(op.requestBody.content)[0];
      var schema = op.requestBody.content[media].schema;
      bodyArea = el("textarea", { "aria-label": "request body (" + media + ")" });
      var sample = example(spec, schema, 0);
      bodyArea.value = media === "application/json" ? JSON.stringify(sample, null, 2)
        : new URLSearchParams(sample || {}).toString();
    }
    var output = el("div", {});
    var send = el("button", { type: "button", text: "Send" });
    send.addEventListener("click", function () {
      var url = scriptRoot + path;
      var query = new URLSearchParams();
      var headers = {};
      inputs.forEach(function (item) {
        var value = item.input.value;
        if (value === "") return;
        if (item.param.in === "path") url = url.replace("{" + item.param.name + "}", encodeURIComponent(value));
        else if (item.param.in === "query") query.append(item.param.name, value);
        else if (item.param.in === "header") headers[item.param.name] = value;
      });
      if (String(query)) url += "?" + query;
      var init = { method: method.toUpperCase(), headers: headers, credentials: "same-origin" };
      if (csrf) headers["X-CSRFToken"] = csrf;
      if (bodyArea) { headers["Content-Type"] = media; init.body = bodyArea.value; }
      output.textContent = "…";
      fetch(url, init).then(function (response) {
        return response.text().then(function (text) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
          output.textContent = "";
          output.appendChild(el("p", { "class": "status", text: response.status + " " + response.statusText }));
          output.appendChild(el("pre", { text: text }));
        });
      }, function (error) { output.textContent = String(error); });
    });
    var responses = el("pre", { text: Object.keys(op.responses || {}).map(function (code) {
      return code + "  " + op.responses[code].description;
    }).join("\n") });
    return el("details", { "class": "op", id: op.operationId }, [
      el("summary", {}, [
        el("span", { "class": "method " + method, text: method }),
        el("span", { "class": "path", text: path }),
        el("span", { "class": "summary", text: op.summary || "" }),
        op.security ? el("span", { text: "🔒", title: "login required" }) : null]),
      el("div", { "class": "body" }, [
        op.description ? el("p", { text: op.description }) : null,
      ].concat(fields).concat([bodyArea, send, output, el("h4", { text: "Responses" }), responses]))
    ]);
  }

  fetch(specUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (spec) {
    document.getElementById("meta").textContent =
      "OpenAPI " + spec.openapi + " · version " + spec.info.version + " · ";
    document.getElementById("meta").appendChild(el("a", { href: specUrl, text: "openapi.json" }));
    var groups = {};
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var tag = (op.tags || ["default"])[0];
        (groups[tag] = groups[tag] || []).push(operation(spec, path, method, op));
      });
    });
    root.textContent = "";
    Object.keys(groups).sort().forEach(function (tag) {
      root.appendChild(el("h2", { text: tag }));
      groups[tag].forEach(function (node) { root.appendChild(node); });
    });
  }, function (error) { root.textContent = "Could not load " + specUrl + ": " + error; });
})();
